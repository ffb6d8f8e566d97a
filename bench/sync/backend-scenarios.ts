import { availableParallelism } from 'node:os';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { demoSubscriptions } from '../../src/emulator/seed/demo-seed.ts';
import { defaultEngineSettings } from '../../src/engine/engine.ts';
import { createTestDatabase } from '../../tests/helpers/test-store.ts';
import { result, type Backend, type BenchResult, type ScenarioId } from './bench-result.ts';
import {
  ceilingOver,
  costModel,
  idealPushMs,
  pushShape,
  sustainedCeiling,
  trackedLoadBound,
  type RequestShape,
} from './cost-model.ts';
import { naivePatchLoop, type CrmControl, type Served } from './crm-control.ts';
import { serverCpu, serverCpuBetween } from './database-cpu.ts';
import { EngineProcess } from './engine-process.ts';
import type { PassMeasurement } from './worker-protocol.ts';

export interface BenchPlan {
  readonly scale: number;
  readonly contacts: number;
  readonly only: ReadonlySet<ScenarioId>;
  /** Longest a pass under the cost model (S3, S4) may run before it is stopped at a page boundary. */
  readonly budgetMs: number;
  /** How long the naive loop of S4 runs (its rate is steady: a sample is enough). */
  readonly naiveBudgetMs: number;
  /** Node options for the engine process (e.g. `--cpu-prof`). */
  readonly engineNodeOptions: readonly string[];
  readonly log: (line: string) => void;
}

/** S2's plain-client read, to set S1 against. */
export interface PlainRead {
  readonly rows: number;
  readonly wallMs: number;
  /** The emulator's CPU over the read (undefined off Linux). */
  readonly emulatorCpuMs: number | undefined;
}

/** `after − before` of two readings that may be missing. */
export const difference = (before: number | undefined, after: number | undefined) =>
  before === undefined || after === undefined ? undefined : after - before;

export const seconds = (ms: number) => (ms / 1000).toFixed(1);
export const perSecond = (rows: number, ms: number) => (ms > 0 ? (rows * 1000) / ms : 0);
export const fmt = (n: number) => Math.round(n).toLocaleString('en');

/**
 * Throttling during a pass under the cost model: 429s the emulator answered (all callers; only the engine runs
 * then), and the connector's own count of 429s and of requests it sent again.
 */
export function describeThrottling(before: Served, after: Served, pass: PassMeasurement): string {
  return (
    `${fmt(after.throttled - before.throttled)} answered 429 by the emulator ` +
    `(engine: ${fmt(pass.throttled)} throttled, ${fmt(pass.retries)} retries)`
  );
}

/** The rows a pass synced from the CRM into persons (created or updated), for notes. */
function describeRows(pass: PassMeasurement): string {
  const contacts =
    (pass.counts['contact.fromCrm.created'] ?? 0) + (pass.counts['contact.fromCrm.updated'] ?? 0);
  return `${fmt(pass.rowsRead)} CRM rows (${fmt(contacts)} contacts → persons, the rest mirrored or filtered) in ${seconds(pass.wallMs)} s`;
}

/**
 * S1, S5, S6 and S4 on one backend, in one world: the initial load (S1) fills a fresh store with the seeded
 * CRM; an incremental pass follows CRM edits (S5); an idle pass (S6); then marketing edits are pushed under the
 * cost model (S4), against a naive loop. The emulator is reset first, so every backend starts from the same
 * data.
 */
export async function runLoadedWorld(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  plainRead: PlainRead | undefined,
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const add = (fields: Parameters<typeof result>[0]) => results.push(result(fields));
  const common = { backend, scale: plan.scale } as const;
  await crm.reset(plan.contacts);
  await crm.useModel(undefined);
  const database = await createTestDatabase(backend);
  try {
    plan.log(`${backend}: initial load of ${fmt(plan.contacts)} contacts (S1)…`);
    let engine = await EngineProcess.open(database.config, crm.url, [...plan.engineNodeOptions]);
    let load: PassMeasurement;
    const emulatorCpuBefore = await crm.cpuMs();
    const serverCpuBefore = await serverCpu(database.config);
    try {
      load = await engine.pass();
    } catch (error) {
      engine.kill();
      throw error;
    }
    const emulatorCpuMs = difference(emulatorCpuBefore, await crm.cpuMs());
    const serverCpuMs = serverCpuBetween(serverCpuBefore, await serverCpu(database.config));
    const peakRss = await engine.close();
    plan.log(`${backend}: S1 ${describeRows(load)}, peak RSS ${fmt(peakRss / 1e6)} MB`);
    if (plan.only.has('S1')) {
      add({
        ...common,
        id: 'S1',
        metric: 'initial load, no limits',
        value: perSecond(load.rowsRead, load.wallMs),
        unit: 'records/s',
        target: { op: '>=', limit: 20_000 },
        note: `${describeRows(load)}; ${fmt(load.requests)} requests`,
      });
      add({
        ...common,
        id: 'S1',
        metric: 'initial load, no limits: engine CPU per record',
        value: load.rowsRead > 0 ? (load.cpuMs * 1000) / load.rowsRead : 0,
        unit: 'µs/record',
        target: null,
        note:
          `user + system CPU of the engine process over the pass (${seconds(load.cpuMs)} s) ÷ CRM rows applied; ` +
          `comparable across machines where records/s is not (the emulator shares the cores)`,
      });
      if (emulatorCpuMs !== undefined && load.rowsRead > 0) {
        const engineUs = (load.cpuMs * 1000) / load.rowsRead;
        const emulatorUs = (emulatorCpuMs * 1000) / load.rowsRead;
        // On PostgreSQL the server's processes share the cores too (measured below when it runs here).
        const serverUs = serverCpuMs === undefined ? 0 : (serverCpuMs * 1000) / load.rowsRead;
        const processes =
          serverCpuMs === undefined ? "with the engine's" : "with the engine's and the server's";
        add({
          ...common,
          id: 'S1',
          metric: 'initial load, no limits: emulator CPU per record',
          value: emulatorUs,
          unit: 'µs/record',
          target: null,
          note:
            `user + system CPU of the emulator process over the pass (${seconds(emulatorCpuMs)} s) ÷ CRM rows; ` +
            `${processes}, ${fmt(engineUs + emulatorUs + serverUs)} µs of CPU per record on ` +
            `${availableParallelism()} cores: at most ` +
            `${fmt((availableParallelism() * 1e6) / (engineUs + emulatorUs + serverUs))} records/s here ` +
            `if the processes kept every core busy`,
        });
      }
      if (serverCpuMs !== undefined && load.rowsRead > 0) {
        add({
          ...common,
          id: 'S1',
          metric: 'initial load, no limits: database server CPU per record',
          value: (serverCpuMs * 1000) / load.rowsRead,
          unit: 'µs/record',
          target: null,
          note:
            `user + system CPU of the PostgreSQL server's processes on this host over the pass ` +
            `(${seconds(serverCpuMs)} s) ÷ CRM rows; at least this much (a process that ended during the pass ` +
            `is not counted), and it shares the cores with the engine and the emulator`,
        });
      }
      add({
        ...common,
        id: 'S1',
        metric: 'engine peak RSS',
        value: peakRss / 1e6,
        unit: 'MB',
        target: { op: '<=', limit: 400 },
        note: 'maxRSS of the engine process (store, connector and engine; the emulator runs elsewhere)',
      });
    }
    if (plan.only.has('S2') && plainRead !== undefined) {
      const engineMsPerRow = load.wallMs / load.rowsRead;
      const plainMsPerRow = plainRead.wallMs / plainRead.rows;
      add({
        ...common,
        id: 'S2',
        metric: 'S1 time / S2 time',
        value: engineMsPerRow / plainMsPerRow,
        unit: '×',
        target: { op: '<=', limit: 1.5 },
        note:
          `per row: the engine ${fmt(perSecond(load.rowsRead, load.wallMs))} rows/s end to end, ` +
          `dynamics-web-api retrieveAll ${fmt(perSecond(plainRead.rows, plainRead.wallMs))} rows/s ` +
          `(${fmt(plainRead.rows)} contacts in ${seconds(plainRead.wallMs)} s, nothing stored` +
          (plainRead.emulatorCpuMs === undefined
            ? ')'
            : `; the emulator's CPU ${fmt((plainRead.emulatorCpuMs * 1000) / plainRead.rows)} µs per row)`),
      });
    }

    if (!['S4', 'S5', 'S6'].some((id) => plan.only.has(id as ScenarioId))) return results;
    engine = await EngineProcess.open(database.config, crm.url, [...plan.engineNodeOptions]);
    try {
      // A running engine has its metadata cached: warm the new process up with one unmeasured pass.
      await engine.pass();
      const { entities } = await engine.describe();
      if (plan.only.has('S5')) results.push(...(await incrementalPass(plan, backend, crm, engine)));
      if (plan.only.has('S6')) {
        const idle = await engine.pass();
        plan.log(`${backend}: S6 idle pass ${idle.requests} requests, ${idle.cpuMs.toFixed(0)} ms CPU`);
        add({
          ...common,
          id: 'S6',
          metric: 'idle pass: requests',
          value: idle.requests / entities.length,
          unit: 'requests/entity',
          target: { op: '=', limit: 1 },
          note: `${idle.requests} requests for ${entities.length} entities (${entities.join(', ')})`,
        });
        add({
          ...common,
          id: 'S6',
          metric: 'idle pass: CPU',
          value: idle.cpuMs,
          unit: 'ms',
          target: { op: '<=', limit: 50 },
          note: `user + system CPU of the engine process; ${seconds(idle.wallMs)} s wall`,
        });
      }
      if (plan.only.has('S4')) {
        if (engine.writePaths.contact !== 'bulk')
          throw new Error(`S4: the probe chose ${engine.writePaths.contact} for contacts, not bulk`);
        results.push(...(await pushUnderModel(plan, backend, crm, engine, 'UpdateMultiple')));
      }
    } finally {
      await crm.useModel(undefined);
      await engine.close();
    }
    if (plan.only.has('S4')) results.push(...(await pushThroughBatch(plan, backend, crm, database.config)));
    return results;
  } finally {
    await database.dispose();
  }
}

/** S5: CRM users change `1,000 × scale` contacts; one pass brings the changes over. */
async function incrementalPass(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  engine: EngineProcess,
): Promise<BenchResult[]> {
  const changes = Math.max(1, Math.round(1000 * plan.scale));
  await crm.editContacts(await crm.contactIds(changes), 'S5');
  const pass = await engine.pass();
  const changed = pass.counts['contact.fromCrm.updated'] ?? 0;
  plan.log(`${backend}: S5 ${changed} changes in ${seconds(pass.wallMs)} s, ${pass.requests} requests`);
  const note = `${fmt(changes)} CRM edits among ${fmt(plan.contacts)} contacts; the pass applied ${fmt(changed)} contact updates`;
  const common = { backend, scale: plan.scale, id: 'S5' } as const;
  return [
    result({
      ...common,
      metric: 'incremental pass: wall time',
      value: pass.wallMs,
      unit: 'ms',
      target: { op: '<=', limit: 2000 },
      note,
    }),
    result({
      ...common,
      metric: 'incremental pass: requests',
      value: pass.requests,
      unit: 'requests',
      target: null,
      note,
    }),
  ];
}

/**
 * S4 on the `$batch` path (B4.5): the organisation ignores UpdateMultiple's per-target ETags (the emulator's
 * worst case, its default), so a new engine process's write-path probe — asked afresh, not the store's
 * remembered answer — picks `$batch` with per-request `If-Match`; then the same push as S4 against the ideal
 * client of that path. The switch is put back afterwards (a reset keeps it).
 */
async function pushThroughBatch(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  database: DatabaseConfig,
): Promise<BenchResult[]> {
  await crm.bulkEtags('ignored');
  try {
    const engine = await EngineProcess.open(database, crm.url, [...plan.engineNodeOptions], undefined, {
      freshProbe: true,
    });
    try {
      if (engine.writePaths.contact !== 'batch')
        throw new Error(`S4: the probe chose ${engine.writePaths.contact} for contacts, not batch`);
      // A running engine has its metadata cached: warm the new process up with one unmeasured pass.
      await engine.pass();
      return await pushUnderModel(plan, backend, crm, engine, '$batch');
    } finally {
      await crm.useModel(undefined);
      await engine.close();
    }
  } finally {
    await crm.bulkEtags('honoured');
  }
}

/**
 * S4: marketing users change `100,000 × scale` persons; the engine pushes them under the cost model through
 * the write path its probe chose (`via`). The push phase (first write sent → last write answered) is set
 * against the time an ideal client needs for the same updates on that path under the model (`idealPushMs`),
 * and — on the bulk path — its rate against a naive one-PATCH-at-a-time loop run under the same model right
 * after (through `$batch` the model itself allows at most 12 × that loop: docs/benchmarks.md, cost model).
 */
async function pushUnderModel(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  engine: EngineProcess,
  via: 'UpdateMultiple' | '$batch',
): Promise<BenchResult[]> {
  const updates = Math.round(100_000 * plan.scale);
  const edited = await engine.editPersons(updates, `S4 ${via}`);
  await crm.useModel(costModel);
  plan.log(`${backend}: S4 pushing ${fmt(edited)} updates through ${via} under the cost model…`);
  const before = await crm.served();
  const pass = await engine.pass(plan.budgetMs);
  const throttling = describeThrottling(before, await crm.served(), pass);
  await crm.useModel(undefined);
  const pushed = pass.counts['contact.toCrm.updated'] ?? 0;
  const rate = perSecond(pushed, pass.writeMs);
  // The engine sends requests of up to writeBatchSize updates (the connector caps both paths at 1,000).
  const batch = defaultEngineSettings.writeBatchSize;
  const idealMs = idealPushMs(costModel, pushed, batch, via);
  const sustained = sustainedCeiling(costModel, pushShape(batch, via));
  plan.log(
    `${backend}: S4 ${via} ${fmt(pushed)} pushed in ${seconds(pass.writeMs)} s at ${rate.toFixed(1)}/s ` +
      `(ideal ${seconds(idealMs)} s), ${fmt(pass.requests)} requests, ${throttling}`,
  );
  const stopped = pass.status === 'aborted' ? `; stopped after the ${seconds(plan.budgetMs)} s budget` : '';
  const common = { backend, scale: plan.scale, id: 'S4' } as const;
  const results = [
    result({
      ...common,
      metric: `push under the cost model, ${via === '$batch' ? '$batch with If-Match' : 'UpdateMultiple'}: efficiency`,
      value: pass.writeMs > 0 ? (100 * idealMs) / pass.writeMs : 0,
      unit: '% of ideal client',
      target: { op: '>=', limit: 90 },
      note:
        `${via}: ${fmt(pushed)} of ${fmt(edited)} updates accepted in ${seconds(pass.writeMs)} s of pushing ` +
        `(${rate.toFixed(1)}/s; pass ${seconds(pass.wallMs)} s, ${fmt(pass.requests)} requests, ${throttling}${stopped}); ` +
        `an ideal client needs ${seconds(idealMs)} s for them = ${fmt(perSecond(pushed, idealMs))}/s ` +
        `(sustained ${fmt(sustained.rowsPerSecond)}/s, bound by ${sustained.bound}, ${via} of ≤ ${batch})`,
    }),
  ];
  if (via === 'UpdateMultiple') {
    await crm.useModel(costModel);
    const naive = await naivePatchLoop(crm.url, await crm.contactIds(5000), plan.naiveBudgetMs);
    await crm.useModel(undefined);
    const naiveRate = perSecond(naive.updated, naive.wallMs);
    plan.log(`${backend}: S4 naive ${naiveRate.toFixed(1)}/s`);
    results.push(
      result({
        ...common,
        metric: 'push vs naive PATCH loop',
        value: naiveRate > 0 ? rate / naiveRate : 0,
        unit: '×',
        target: { op: '>=', limit: 20 },
        note: `naive loop: ${fmt(naive.updated)} PATCHes in ${seconds(naive.wallMs)} s = ${naiveRate.toFixed(1)}/s under the same model`,
      }),
    );
  }
  return results;
}

/**
 * S3: a fresh store's initial load under the cost model, set against the bound of a change-tracked load (one
 * chain per entity, `trackedLoadBound`: the target) and, for reference, the model's ceiling for 5,000-row pages.
 */
export async function runInitialLoadUnderModel(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
): Promise<BenchResult[]> {
  await crm.reset(plan.contacts);
  const database = await createTestDatabase(backend);
  try {
    await crm.useModel(costModel);
    plan.log(`${backend}: S3 initial load under the cost model…`);
    const engine = await EngineProcess.open(database.config, crm.url, [...plan.engineNodeOptions]);
    let pass: PassMeasurement;
    let throttling: string;
    try {
      const before = await crm.served();
      pass = await engine.pass(plan.budgetMs);
      throttling = describeThrottling(before, await crm.served(), pass);
    } finally {
      await crm.useModel(undefined);
      await engine.close();
    }
    const rate = perSecond(pass.rowsRead, pass.wallMs);
    const shape: RequestShape = { operations: 1, rowsRead: defaultEngineSettings.pageSize, rowsWritten: 0 };
    const ceiling = ceilingOver(costModel, shape, pass.wallMs / 1000);
    const sustained = sustainedCeiling(costModel, shape);
    plan.log(
      `${backend}: S3 ${describeRows(pass)} = ${fmt(rate)}/s, ceiling ${fmt(ceiling.rowsPerSecond)}/s`,
    );
    const stopped = pass.status === 'aborted' ? `; stopped after the ${seconds(plan.budgetMs)} s budget` : '';
    // S3's data: the demo seed's contacts and new_subscription rows, read as parallel chains; the contact chain
    // is the longest. The few small-table rows are left out of the bound (≈ 0.05 % of the rows).
    const contactPages = Math.ceil(plan.contacts / defaultEngineSettings.pageSize);
    const chainBound = trackedLoadBound(
      costModel,
      defaultEngineSettings.pageSize,
      plan.contacts,
      plan.contacts + demoSubscriptions(plan.contacts),
    );
    return [
      result({
        backend,
        scale: plan.scale,
        id: 'S3',
        metric: 'initial load under the cost model: vs one tracked chain per entity',
        value: (100 * rate) / chainBound,
        unit: '% of chain bound',
        target: { op: '>=', limit: 95 },
        note:
          `${fmt(rate)} rows/s against ${fmt(chainBound)} rows/s: every entity's change-tracking chain read at once, ` +
          `one page in flight per chain, the contact chain (${fmt(contactPages)} pages) the longest`,
      }),
      result({
        backend,
        scale: plan.scale,
        id: 'S3',
        metric: "initial load under the cost model: vs the model's ceiling (reference)",
        value: ceiling.rowsPerSecond > 0 ? (100 * rate) / ceiling.rowsPerSecond : 0,
        unit: '% of ceiling',
        // No target: no client that keeps change tracking (B2.3) can come near it (docs/benchmarks.md, S3).
        target: null,
        note:
          `${describeRows(pass)} = ${fmt(rate)} rows/s, ${fmt(pass.requests)} requests, ${throttling}${stopped}; ` +
          `ceiling ${fmt(ceiling.rowsPerSecond)} rows/s over that span (sustained ${fmt(sustained.rowsPerSecond)}/s, ` +
          `bound by ${sustained.bound}, pages of ${defaultEngineSettings.pageSize})`,
      }),
    ];
  } finally {
    await database.dispose();
  }
}
