import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { waitFor } from '../../tests/engine/sync-world.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/helpers/test-store.ts';
import {
  databaseUrlOf,
  startSynclineProcess,
  type SynclineProcess,
} from '../../tests/process/syncline-process.ts';
import type { BenchPlan } from './backend-scenarios.ts';
import { result, type Backend, type BenchResult } from './bench-result.ts';
import { costModel } from './cost-model.ts';
import type { CrmControl } from './crm-control.ts';
import { percentile, runLatencyLoad, type DirectionSamples, type Target } from './latency-load.ts';

/**
 * S7 (issue 14): end-to-end latency under the cost model. `syncline start` runs as its own process (API, engine
 * and — where the build has them — the webhook receiver and worker), the emulator in another; marketing users
 * edit persons through the API and CRM users edit contacts through the Web API, `rate` edits a second on each
 * side for 60 s × scale, and the harness measures per edit how long it took to show on the other side
 * (latency-load.ts). Twice per backend, on the same database: with the fast paths on (immediate pushes with
 * SYNCLINE_PUSH_DELAY_MS=1000, webhooks when the build can install them) and with them off (PUSH_DELAY 0, no
 * webhook secret: the pass-only baseline). Both runs use the same pass interval (`--s7-interval`, default 10 s,
 * the demo's: the production default of 300 s would give the baseline a latency of minutes and a run that long).
 */

export const s7Rate = 20;
const pushDelayMs = 1000;
const webhookSecret = 's7-bench-webhook-secret-0123456789';
const root = join(import.meta.dirname, '..', '..');

/** Contacts in S7's world: enough for four groups of distinct edits at any scale. */
export function s7Contacts(scale: number): number {
  return Math.max(2000, Math.round(20_000 * scale));
}

interface Mode {
  readonly name: 'fast paths on' | 'pass-only';
  readonly env: Record<string, string>;
}

interface ModeRun {
  readonly mode: Mode;
  readonly toCrm: DirectionSamples;
  readonly fromCrm: DirectionSamples;
  /** 429s the emulator answered the sync user during the load. */
  readonly throttled: number;
  /** The engine's own status figures at the end (B2.8 `latency`). */
  readonly engineLatency: any;
  /** How the CRM → marketing direction was carried. */
  readonly fromCrmPath: string;
  /** Fast-path run: what a pass right after the drain still wrote (records), else undefined. */
  readonly passAfter?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function syncUserId(crmUrl: string): Promise<string> {
  const response = await fetch(`${crmUrl}/api/data/v9.2/WhoAmI`, {
    headers: { authorization: `Bearer ${emulatorFixtures.defaultSyncToken}`, accept: 'application/json' },
  });
  return ((await response.json()) as { UserId: string }).UserId;
}

async function emulatorStats(crmUrl: string): Promise<any> {
  const response = await fetch(`${crmUrl}/_emulator/stats`, {
    headers: { authorization: `Bearer ${emulatorFixtures.defaultAdminToken}` },
  });
  return response.json();
}

function throttledOf(stats: any, userId: string): number {
  const counts = stats.throttledPerUser?.[userId] ?? {};
  return Object.values(counts as Record<string, number>).reduce((sum, n) => sum + n, 0);
}

/** Every person linked to a contact, with the contact's id (the API lists them by CRM type). */
async function contactTargets(product: SynclineProcess): Promise<Target[]> {
  const targets: Target[] = [];
  let cursor: string | undefined;
  do {
    const page = await product.api(
      'GET',
      `/api/v1/persons?crmType=contact&limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    for (const person of page.body.items) {
      if (typeof person.crmContactId === 'string')
        targets.push({ personId: person.id, contactId: person.crmContactId });
    }
    cursor = page.body.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return targets;
}

async function waitIdle(product: SynclineProcess, what: string, timeoutMs = 300_000): Promise<any> {
  return waitFor(
    what,
    async () => {
      const { body } = await product.api('GET', '/api/v1/sync/status');
      return body.initialLoad?.done && body.state === 'idle' ? body : undefined;
    },
    timeoutMs,
  );
}

/**
 * The CRM → marketing fast path, if this build has it: the receiver answers (401 without the key, not 404),
 * `syncline webhooks install` registers the webhook, and a probe edit is delivered. Returns how CRM changes
 * travel in this run.
 */
async function enableWebhooks(
  product: SynclineProcess,
  crmUrl: string,
  env: Record<string, string>,
  probe: Target,
): Promise<{ path: string; installed: boolean }> {
  const receiver = await fetch(`${product.url}/api/v1/webhooks/dataverse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  await receiver.arrayBuffer();
  if (receiver.status === 404)
    return { path: 'passes only (this build has no webhook receiver)', installed: false };
  const install = await promisify(execFile)(process.execPath, ['bin/syncline.js', 'webhooks', 'install'], {
    cwd: root,
    env: { ...process.env, ...env },
  }).then(
    () => undefined,
    (error: { stderr?: string; message: string }) => (error.stderr ?? error.message).trim().split('\n')[0],
  );
  const before = (await emulatorStats(crmUrl)).webhooks?.delivered ?? 0;
  await fetch(`${crmUrl}/api/data/v9.2/contacts(${probe.contactId})`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${emulatorFixtures.defaultAdminToken}`,
      'content-type': 'application/json',
      'if-match': '*',
    },
    body: JSON.stringify({ jobtitle: 'S7 webhook probe' }),
  });
  const delivered = await waitFor(
    'a webhook delivery',
    async () => (((await emulatorStats(crmUrl)).webhooks?.delivered ?? 0) > before ? true : undefined),
    5000,
  ).catch(() => false);
  if (delivered === true) return { path: 'webhooks', installed: install === undefined };
  return {
    path: `passes only (webhooks not delivered${install === undefined ? '' : `; install: ${install}`})`,
    installed: install === undefined,
  };
}

async function uninstallWebhooks(env: Record<string, string>): Promise<void> {
  await promisify(execFile)(process.execPath, ['bin/syncline.js', 'webhooks', 'uninstall'], {
    cwd: root,
    env: { ...process.env, ...env },
  }).catch(() => undefined);
}

/** What a pass requested now writes (records created or updated on either side). */
async function passAfterDrain(product: SynclineProcess): Promise<number> {
  const before = (await product.api('GET', '/api/v1/sync/status')).body.passes.completed as number;
  await product.api('POST', '/api/v1/sync/passes');
  await waitFor('the requested pass', async () => {
    const { body } = await product.api('GET', '/api/v1/sync/status');
    return body.passes.completed > before && body.state !== 'running' ? true : undefined;
  });
  const [pass] = (await product.api('GET', '/api/v1/sync/passes?limit=1')).body.items;
  return Object.entries(pass.counts as Record<string, number>)
    .filter(([key]) => /\.(toCrm|fromCrm)\.(updated|created)$/.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}

async function runMode(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  database: TestDatabase,
  mode: Mode,
  groups: { marketing: Target[]; crm: Target[]; probe: Target } | undefined,
  intervalSeconds: number,
): Promise<{ run: ModeRun; targets: Target[] }> {
  const port = await freePort();
  const env = {
    SYNCLINE_DB: databaseUrlOf(database.config),
    SYNCLINE_DYNAMICS_URL: crm.url,
    SYNCLINE_DYNAMICS_TOKEN: emulatorFixtures.defaultSyncToken,
    SYNCLINE_PORT: String(port),
    SYNCLINE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SYNCLINE_SYNC_INTERVAL: String(intervalSeconds),
    ...mode.env,
  };
  const product = await startSynclineProcess({ database: database.config, crmUrl: crm.url, env });
  try {
    plan.log(`${backend}: S7 ${mode.name}: waiting for the engine…`);
    await waitIdle(product, 'the initial load');
    const targets = groups === undefined ? await contactTargets(product) : [];
    const chosen = groups ?? splitTargets(targets, plan);
    const fromCrmPath =
      mode.env.SYNCLINE_WEBHOOK_SECRET === undefined
        ? { path: 'passes only (fast paths off)', installed: false }
        : await enableWebhooks(product, crm.url, env, chosen.probe);
    await crm.useModel(costModel);
    const userId = await syncUserId(crm.url);
    const throttledBefore = throttledOf(await emulatorStats(crm.url), userId);
    const count = chosen.marketing.length;
    plan.log(
      `${backend}: S7 ${mode.name}: ${count} edits on each side at ${s7Rate}/s; CRM → marketing by ${fromCrmPath.path}…`,
    );
    const tag = `${backend}-${mode.name === 'pass-only' ? 'p' : 'f'}-${Date.now().toString(36)}`;
    const outcome = await runLatencyLoad({
      product,
      crmUrl: crm.url,
      tag,
      marketing: chosen.marketing,
      crm: chosen.crm,
      rate: s7Rate,
      drainMs: 3 * intervalSeconds * 1000 + 30_000,
    });
    const throttled = throttledOf(await emulatorStats(crm.url), userId) - throttledBefore;
    // The CRM commits a push before it answers it (its execution time and latency follow): the engine times a
    // push when the answer arrives, so the harness may see the last values before the engine has settled them.
    const engineLatency = await waitFor(
      "the engine's latency figures",
      async () => {
        const { latency } = (await product.api('GET', '/api/v1/sync/status')).body;
        return latency.toCrm.count >= outcome.toCrm.latencies.length ? latency : undefined;
      },
      30_000,
    ).catch(async () => (await product.api('GET', '/api/v1/sync/status')).body.latency);
    await crm.useModel(undefined);
    const passAfter = mode.name === 'fast paths on' ? await passAfterDrain(product) : undefined;
    if (fromCrmPath.installed) await uninstallWebhooks(env);
    return {
      run: { mode, ...outcome, throttled, engineLatency, fromCrmPath: fromCrmPath.path, passAfter },
      targets,
    };
  } finally {
    await crm.useModel(undefined);
    await product.stop();
  }
}

/** Four disjoint groups of distinct records: marketing and CRM edits for each of the two runs. */
function splitTargets(targets: readonly Target[], plan: BenchPlan) {
  const count = Math.max(crmBatchMultiple(Math.round(s7Rate * 60 * plan.scale)), 10);
  if (targets.length < 4 * count + 1)
    throw new Error(`S7 needs ${4 * count + 1} persons linked to contacts, the world has ${targets.length}`);
  return {
    marketing: targets.slice(0, count),
    crm: targets.slice(count, 2 * count),
    probe: targets[4 * count],
  };
}

const crmBatchMultiple = (n: number) => Math.ceil(n / 5) * 5;

export async function runLatencyScenario(
  plan: BenchPlan,
  backend: Backend,
  crm: CrmControl,
  intervalSeconds: number,
): Promise<BenchResult[]> {
  await crm.reset(s7Contacts(plan.scale));
  await crm.useModel(undefined);
  const database = await createTestDatabase(backend);
  try {
    const fast = await runMode(
      plan,
      backend,
      crm,
      database,
      {
        name: 'fast paths on',
        env: { SYNCLINE_PUSH_DELAY_MS: String(pushDelayMs), SYNCLINE_WEBHOOK_SECRET: webhookSecret },
      },
      undefined,
      intervalSeconds,
    );
    const split = splitTargets(fast.targets, plan);
    const count = split.marketing.length;
    const baseline = await runMode(
      plan,
      backend,
      crm,
      database,
      { name: 'pass-only', env: { SYNCLINE_PUSH_DELAY_MS: '0' } },
      {
        marketing: fast.targets.slice(2 * count, 3 * count),
        crm: fast.targets.slice(3 * count, 4 * count),
        probe: split.probe,
      },
      intervalSeconds,
    );
    return [
      ...resultsOf(plan, backend, fast.run, intervalSeconds),
      ...resultsOf(plan, backend, baseline.run, intervalSeconds),
    ];
  } finally {
    await database.dispose();
  }
}

const directions = [
  { key: 'toCrm', label: 'marketing → CRM' },
  { key: 'fromCrm', label: 'CRM → marketing' },
] as const;

function resultsOf(plan: BenchPlan, backend: Backend, run: ModeRun, intervalSeconds: number): BenchResult[] {
  const common = { id: 'S7', backend, scale: plan.scale } as const;
  const fast = run.mode.name === 'fast paths on';
  const results: BenchResult[] = [];
  for (const { key, label } of directions) {
    const samples = run[key];
    const engine = run.engineLatency?.[key];
    const path =
      key === 'toCrm'
        ? fast
          ? `immediate pushes (SYNCLINE_PUSH_DELAY_MS=${pushDelayMs})`
          : 'passes only'
        : run.fromCrmPath;
    const note =
      `${run.mode.name}, ${label} by ${path}, pass interval ${intervalSeconds} s: ${samples.latencies.length} edits measured` +
      `${samples.missing > 0 ? `, ${samples.missing} not seen within the drain` : ''}` +
      `${samples.failed > 0 ? `, ${samples.failed} refused when sent` : ''}; ` +
      `p50/p95/p99 ${[0.5, 0.95, 0.99].map((p) => Math.round(percentile(samples.latencies, p))).join(' / ')} ms; ` +
      `the engine's own status: ${engine?.p50Ms ?? '—'} / ${engine?.p95Ms ?? '—'} / ${engine?.p99Ms ?? '—'} ms over ${engine?.count ?? 0} changes; ` +
      `${run.throttled} requests of the sync user answered 429`;
    for (const [p, name] of [
      [0.5, 'p50'],
      [0.95, 'p95'],
      [0.99, 'p99'],
    ] as const) {
      const target = !fast
        ? null
        : name === 'p95'
          ? ({ op: '<=', limit: 5000 } as const)
          : name === 'p99'
            ? ({ op: '<=', limit: 10_000 } as const)
            : null;
      results.push(
        result({
          ...common,
          metric: `${run.mode.name}: ${label} latency ${name}`,
          value: percentile(samples.latencies, p),
          unit: 'ms',
          target,
          note,
        }),
      );
    }
  }
  results.push(
    result({
      ...common,
      metric: `${run.mode.name}: 429s answered to the sync user`,
      value: run.throttled,
      unit: 'requests',
      target: null,
      note: `${run.mode.name}: the emulator's count for the sync user during the load and the drain (the cost model's limits: ${costModel.limits.requestsPerWindow} requests and ${costModel.limits.executionMsPerWindow / 1000} s of execution per ${costModel.limits.windowSeconds} s)`,
    }),
  );
  if (run.passAfter !== undefined) {
    results.push(
      result({
        ...common,
        metric: 'fast paths on: records a pass still writes after the drain',
        value: run.passAfter,
        unit: 'records',
        target: { op: '=', limit: 0 },
        note: 'a pass requested after the fast-path run: what the fast paths carried gives it nothing more to write (B2.8)',
      }),
    );
  }
  return results;
}
