import { setTimeout as sleep } from 'node:timers/promises';
import { SeedArtifacts } from './artifacts.ts';
import { checkFinalState, type FinalState, type Violation } from './checks.ts';
import { entitySets, type AdminFaultCounts, type PersonEntity } from './crm-admin.ts';
import type { Backend } from './database.ts';
import { defaultMapping } from './field-mapping.ts';
import type { RunCounts, Takeover } from './history.ts';
import { killLeftovers, leftoverProcesses } from './processes.ts';
import { describeStep, scheduleFor, type Step } from './schedule.ts';
import { StepRunner, type LinkedTarget } from './steps.ts';
import { writeViolationArtifacts } from './violation-artifacts.ts';
import { World } from './world.ts';

export interface SeedOptions {
  readonly seed: number;
  readonly backend: Backend;
  readonly steps: number;
  readonly replicas: number;
  readonly intervalSeconds: number;
  readonly counts: { readonly contacts: number; readonly leads: number; readonly accounts: number };
  /** The webhook fast path on (B2.8); immediate pushes are on by default in the product. */
  readonly webhooks: boolean;
  /** `SYNCLINE_LEASE_SECONDS` of the seed's replicas (PostgreSQL cluster, B2.9). */
  readonly leaseSeconds: number;
  /** Where a seed with a violation (or one that could not run) leaves its artifacts (`artifacts.ts`). */
  readonly artifactsRoot: string;
  /** Progress lines (steps, phases) go here; the CLI prints them with --verbose. */
  readonly log?: (line: string) => void;
}

export interface SeedResult {
  readonly seed: number;
  readonly backend: Backend;
  /** `GET /_emulator/stats` faults by kind; undefined when the emulator does not report them. */
  readonly faultsInjected: Record<string, number> | undefined;
  /** `GET /_emulator/stats` webhooks (delivered, failed, …): the fast path at work (B2.8). */
  readonly webhookStats: Record<string, number> | undefined;
  /** Throttled requests (429) the emulator counted, all users. */
  readonly throttled: number | undefined;
  readonly counts: RunCounts;
  /** Faults the harness's own CRM requests met (the emulator's stats do not say per user). */
  readonly adminFaults: AdminFaultCounts;
  readonly violations: readonly Violation[];
  readonly notes: readonly string[];
  /** Holders of the `sync` lease killed and who took over, with the times (replicas > 1, issue 15). */
  readonly takeovers: readonly Takeover[];
  /** Where its artifacts are: only when it has a violation. */
  readonly artifactsDir: string | undefined;
  readonly durationMs: number;
}

/** A seed the harness could not run to its end; its artifacts are kept. */
export class SeedFailure extends Error {
  readonly artifactsDir: string;

  constructor(cause: unknown, artifactsDir: string) {
    super(`${(cause as Error)?.stack ?? String(cause)}\n  artifacts: ${artifactsDir}`, { cause });
    this.artifactsDir = artifactsDir;
  }
}

/** Counts of a pass that are writes to one side or the other (pass counts, `GET /api/v1/sync/passes`). */
const writeCount = /\.(created|updated|deleted|linked|merged|converted)$/;

/** Runs one seed end to end: the product as processes, the schedule, settling, the checks. */
export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const sink = options.log ?? (() => {});
  const log = (line: string) => sink(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
  const violations: Violation[] = [];
  const add = (check: Violation['check'], message: string) =>
    violations.push({ check, message: `seed ${options.seed}: ${message}` });
  const artifacts = await SeedArtifacts.create(options.artifactsRoot, options.backend, options.seed);
  const schedule = scheduleFor(options.seed, options.steps);
  let world: World | undefined;
  let runner: StepRunner | undefined;
  let stats: any;
  let failure: unknown;
  try {
    world = await World.open({ ...options, artifacts });
    stats = await checkSeed(world, options, schedule, log, add, violations, (made) => (runner = made));
  } catch (error) {
    failure = error;
  }
  for (const violation of runner?.violations ?? []) add(violation.check, violation.message);
  if (world !== undefined) {
    if (violations.length > 0 || failure !== undefined) {
      log(`seed ${options.seed}: writing the artifacts to ${artifacts.directory}`);
      await writeViolationArtifacts(artifacts, world, runner?.history, violations);
    }
    // 5. No engine left behind once the binary is stopped (B2.9).
    log(`seed ${options.seed}: stopping the binary`);
    await world.stopSyncline();
    const left = await leftoverProcesses(world.runId, 12_000);
    for (const process of left)
      add(
        'processes',
        `process ${process.pid} (${process.commandLine}) still runs after the binary was stopped: an orphaned or second engine (B2.9)`,
      );
    await killLeftovers(left);
    await world.close();
  }
  let artifactsDir: string | undefined;
  if (violations.length > 0 || failure !== undefined) {
    await artifacts.write(
      'violations.txt',
      violations.map((violation) => `[${violation.check}] ${violation.message}\n`).join('\n'),
    );
    await artifacts.write(
      'seed.txt',
      `seed ${options.seed} on ${options.backend}, ${options.replicas} replica(s), lease ${options.leaseSeconds} s, ` +
        `interval ${options.intervalSeconds} s, webhooks ${options.webhooks ? 'on' : 'off'}\n` +
        `replay: npm run chaos -- --backend ${options.backend} --replicas ${options.replicas} ` +
        `--steps ${options.steps} --seed-start ${options.seed} --seeds 1 --verbose\n\nschedule:\n` +
        schedule.map((step, index) => `  ${index + 1}. ${describeStep(step)}\n`).join(''),
    );
    if (failure !== undefined)
      await artifacts.write('failure.txt', `${(failure as Error)?.stack ?? String(failure)}\n`);
    artifactsDir = await artifacts.keep();
  } else {
    await artifacts.discard();
  }
  if (failure !== undefined) throw new SeedFailure(failure, artifactsDir!);
  return {
    seed: options.seed,
    backend: options.backend,
    faultsInjected: stats?.faults,
    webhookStats: stats?.webhooks,
    throttled: stats?.throttled === undefined ? undefined : Number(stats.throttled),
    counts: runner?.history.counts ?? ({} as RunCounts),
    adminFaults: { ...world!.crm.faults },
    violations,
    notes: runner?.history.notes ?? [],
    takeovers: runner?.history.takeovers ?? [],
    artifactsDir,
    durationMs: Date.now() - started,
  };
}

/**
 * The schedule, settling and the checks 1–4 on a running world; resolves with the emulator's stats taken when
 * the faults stopped. Violations go to `add`; the runner is handed out as soon as it exists (its history is
 * part of the artifacts even when a later step throws).
 */
async function checkSeed(
  world: World,
  options: SeedOptions,
  schedule: readonly Step[],
  log: (line: string) => void,
  add: (check: Violation['check'], message: string) => void,
  violations: Violation[],
  made: (runner: StepRunner) => void,
): Promise<any> {
  await waitForPasses(world, 1, 60_000);
  const persons = await world.api.all('/api/v1/persons');
  const { slots, lifecycle } = partition(persons);
  const runner = new StepRunner(world, options.seed, slots, lifecycle);
  made(runner);
  for (const [index, step] of schedule.entries()) {
    log(`seed ${options.seed} step ${index + 1}/${schedule.length}: ${describeStep(step)}`);
    await runner.run(step);
  }
  // The takeover of the last holder kill is timed to its end (it also makes the settling start on a cluster
  // whose lease is held).
  await runner.takeoverSettled();

  log(`seed ${options.seed}: faults off, settling`);
  await world.crm.control('PUT', 'faults', {});
  await world.crm.control('PUT', 'webhooks', {});
  await world.crm.control('PUT', 'limits', {});
  const stats = await world.crm.control('GET', 'stats');
  const settled = await settle(world, 90_000);
  log(`seed ${options.seed}: settled=${settled}; two more passes`);
  if (!settled)
    add(
      'quiescence',
      'the sync did not settle within 90 s after the faults stopped (a pass kept writing or failing)',
    );

  // 4. Two more passes write nothing.
  const before = await snapshot(world);
  const passesBefore = await completedPasses(world);
  for (let pass = 0; pass < 2; pass += 1) await runPass(world);
  const after = await snapshot(world);
  const passes = (await world.api.ok('GET', '/api/v1/sync/passes?limit=20')).items as any[];
  // The finished ones: a pass the interval started meanwhile may already be listed as running.
  const recent = passes
    .filter((pass) => pass.status !== 'running')
    .slice(0, Math.max(0, (await completedPasses(world)) - passesBefore));
  for (const pass of recent) {
    const writes = Object.entries(pass.counts as Record<string, number>).filter(
      ([key, count]) => count > 0 && writeCount.test(key),
    );
    if (writes.length > 0 || pass.status !== 'succeeded')
      add(
        'quiescence',
        `a pass after settling ${pass.status === 'succeeded' ? 'wrote' : pass.status}: ${JSON.stringify(pass.counts)}${pass.error ? ` (${pass.error})` : ''}`,
      );
  }
  if (after.crmVersion !== before.crmVersion)
    add(
      'quiescence',
      `two passes after settling changed the CRM (change version ${before.crmVersion} → ${after.crmVersion})`,
    );
  if (after.personsChanged !== before.personsChanged)
    add(
      'quiescence',
      `two passes after settling changed persons (latest updatedAt ${before.personsChanged} → ${after.personsChanged})`,
    );

  // 1–3 on the settled state.
  log(`seed ${options.seed}: checking the final state`);
  violations.push(...checkFinalState(options.seed, runner.history, await finalState(world)));
  return stats;
}

/** Slot persons (field edits only) and lifecycle targets (qualify, merge, delete), by CRM id order. */
function partition(persons: readonly Record<string, any>[]): {
  slots: LinkedTarget[];
  lifecycle: LinkedTarget[];
} {
  const slots: LinkedTarget[] = [];
  const lifecycle: LinkedTarget[] = [];
  for (const entity of ['lead', 'contact'] as const) {
    const linked = persons
      .filter((person) => person.crmType === entity)
      .map((person) => ({
        personId: person.id as string,
        entity,
        crmId: (entity === 'lead' ? person.crmLeadId : person.crmContactId) as string,
      }))
      .sort((a, b) => a.crmId.localeCompare(b.crmId));
    const half = Math.ceil(linked.length / 2);
    linked.forEach((target, index) =>
      (index < half ? slots : lifecycle).push({
        ...target,
        subject: { kind: 'person', personId: target.personId },
      }),
    );
  }
  return { slots, lifecycle };
}

async function completedPasses(world: World): Promise<number> {
  return (await world.api.ok('GET', '/api/v1/sync/status')).passes.completed as number;
}

async function waitForPasses(world: World, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await completedPasses(world)) < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} completed passes after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Asks for a pass and waits until one more has finished than when it asked. */
async function runPass(world: World): Promise<void> {
  const before = await completedPasses(world);
  await world.api.request('POST', '/api/v1/sync/passes');
  await waitForPasses(world, before + 1, 60_000);
}

/**
 * Runs passes until one finishes that wrote nothing, failed nothing and left no push pending: the state the
 * checks judge. False after `timeoutMs`.
 */
async function settle(world: World, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // The push fast path (B2.8) may still hold a change for its delay.
  await sleep(1_500);
  // Only a pass that started after every write of the schedule judges the state: on a loaded machine the
  // interval's pass that was already running when the last writes were made can finish first, report nothing
  // written (it read before those writes) and would otherwise count as settled (seed 104 on PostgreSQL).
  const since = Date.now();
  while (Date.now() < deadline) {
    await runPass(world);
    // The newest finished pass: on a loaded machine the next one (the interval's, or one a replica was asked
    // for) has often started by the time this asks, and a running pass says nothing yet.
    const latest = ((await world.api.ok('GET', '/api/v1/sync/passes?limit=5')).items as any[]).find(
      (pass) => pass.status !== 'running' && Date.parse(pass.startedAt) >= since,
    );
    if (latest === undefined) continue;
    const status = await world.api.ok('GET', '/api/v1/sync/status');
    const pending = Object.values(status.entities as Record<string, any>).reduce(
      (sum, entity) => sum + (entity.toCrm?.pending ?? 0),
      0,
    );
    const wrote = Object.entries(latest.counts as Record<string, number>).some(
      ([key, count]) => count > 0 && writeCount.test(key),
    );
    if (latest.status === 'succeeded' && !wrote && pending === 0) return true;
  }
  return false;
}

async function snapshot(world: World): Promise<{ crmVersion: number; personsChanged: string }> {
  const stats = await world.crm.control('GET', 'stats');
  const persons = await world.api.all('/api/v1/persons');
  const latest =
    persons
      .map((person) => person.updatedAt as string)
      .sort()
      .at(-1) ?? '';
  return { crmVersion: stats.version as number, personsChanged: `${latest} (${persons.length} persons)` };
}

async function finalState(world: World): Promise<FinalState> {
  const persons = await world.api.all('/api/v1/persons');
  const conflicts = await world.api.all('/api/v1/sync/conflicts');
  // Answers Syncline lost: drops on every identity but the harness's own administrator.
  const admin = (await world.crm.request('GET', 'WhoAmI')).json as { UserId?: string } | undefined;
  const stats = await world.crm.control('GET', 'stats');
  const dropped: { user: string; at: number }[] = stats?.faults?.droppedWrites ?? [];
  const syncAnswersLostAt = dropped
    .filter((drop) => drop.user.toLowerCase() !== admin?.UserId?.toLowerCase())
    .map((drop) => drop.at);
  const read = async (entity: PersonEntity, extra: readonly string[]) => {
    const columns = [
      `${entity}id`,
      ...new Set(defaultMapping[entity].map((mapped) => mapped.attribute)),
      'new_synctomkto',
      'merged',
      ...extra,
    ];
    const rows: Record<string, any>[] = [];
    let next: string | undefined = `${entitySets[entity]}?$select=${columns.join(',')}`;
    while (next !== undefined) {
      const answer = await world.crm.request('GET', next, undefined, {
        prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue",odata.maxpagesize=500',
      });
      if (answer.status !== 200)
        throw new Error(`reading ${entity}: ${answer.status} ${JSON.stringify(answer.json)}`);
      rows.push(...answer.json.value);
      const link: string | undefined = answer.json['@odata.nextLink'];
      next =
        link === undefined
          ? undefined
          : link.slice(link.indexOf('/api/data/v9.2/') + '/api/data/v9.2/'.length);
    }
    return rows;
  };
  return {
    persons,
    conflicts,
    syncAnswersLostAt,
    leads: await read('lead', []),
    contacts: await read('contact', ['_originatingleadid_value', '_masterid_value']),
  };
}
