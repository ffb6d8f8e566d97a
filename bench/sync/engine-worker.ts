/**
 * The engine side of `npm run bench`, in a process of its own so that its peak RSS and CPU time are the
 * engine's alone (the emulator and the harness run elsewhere). Driven over the fork IPC channel: one request,
 * one reply (`worker-protocol.ts`). Wires the product's parts the way the composition root does — store,
 * Dataverse connector, the engine's default settings — and measures `runPass` from the outside.
 */
import type { CrmConnector, WriteOperation, WriteOptions } from '../../src/connectors/connector.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { wireColumns } from '../../src/connectors/dataverse/record-mapper.ts';
import { chooseWritePaths } from '../../src/connectors/write-path-choice.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import {
  buildPlans,
  defaultEngineSettings,
  runPass,
  type EngineDeps,
  type EngineSettings,
} from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { EngineHold } from '../../src/runtime/engine-hold.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import type { PassMeasurement, WorkerReply, WorkerRequest } from './worker-protocol.ts';

interface Engine {
  readonly store: Store;
  readonly hold: EngineHold;
  readonly connector: DataverseConnector;
  readonly writes: WriteTimeline;
  readonly deps: EngineDeps;
  readonly settings: EngineSettings;
  rowsRead: number;
}

/** Times the `write` calls of a pass: the push phase's span (to the last answered call) and its operations. */
class WriteTimeline {
  firstStart: number | undefined;
  lastEnd: number | undefined;
  operations = 0;

  reset(): void {
    this.firstStart = undefined;
    this.lastEnd = undefined;
    this.operations = 0;
  }

  get spanMs(): number {
    return this.firstStart === undefined || this.lastEnd === undefined ? 0 : this.lastEnd - this.firstStart;
  }
}

function timedWrites(connector: CrmConnector, timeline: WriteTimeline): CrmConnector {
  return new Proxy(connector, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'write') return value.bind(target);
      return async (operations: readonly WriteOperation[], options?: WriteOptions) => {
        timeline.firstStart ??= performance.now();
        timeline.operations += operations.length;
        const outcomes = await target.write(operations, options);
        // Only an answered write ends the span: a round cut off by the pass's budget (its requests aborted, its
        // rows not counted as pushed) would otherwise add up to a request's duration of time and no rows.
        timeline.lastEnd = performance.now();
        return outcomes;
      };
    },
  });
}

let engine: Engine | undefined;

async function open(request: Extract<WorkerRequest, { type: 'open' }>): Promise<WorkerReply> {
  const logger = silentLogger();
  const store = await createStore(request.database, logger);
  await store.migrate();
  const connector = new DataverseConnector({
    url: request.url,
    auth: (request.tokens ?? [emulatorFixtures.defaultSyncToken]).map((token) => ({
      kind: 'static-token' as const,
      token,
    })),
    logger,
  });
  // B4.5: the engine's first connect chooses the update path (bulk only where the probe proved it).
  const scratch = new Map<string, string>();
  const choices = await chooseWritePaths(
    connector,
    request.freshProbe
      ? { get: async (key) => scratch.get(key), set: async (key, value) => void scratch.set(key, value) }
      : { get: (key) => store.getSetting(key), set: (key, value) => store.setSetting(key, value) },
  );
  const writes = new WriteTimeline();
  const settings: EngineSettings = { ...defaultEngineSettings, intervalSeconds: 3600 };
  // B2.9: on PostgreSQL the product's engine runs on a fenced store (every transaction first checks the `sync`
  // lease), so the bench's does too — the figures are the product's, fence included (open-runtime.ts).
  const hold = new EngineHold(
    { database: request.database, cluster: { replicaId: 'bench', leaseSeconds: 15 } },
    logger,
  );
  await hold.require();
  const fence = hold.fence('sync');
  const engineStore = fence === undefined || process.env.BENCH_NO_FENCE ? store : store.withFence(fence);
  const deps: EngineDeps = {
    store: engineStore,
    crm: timedWrites(connector, writes),
    logger,
    now: () => new Date(),
  };
  engine = { store, hold, connector, writes, deps, settings, rowsRead: 0 };
  return { type: 'opened', writePaths: Object.fromEntries(choices.map((c) => [c.entity, c.path])) };
}

/** The entities a pass syncs and the contact columns it reads on the wire (metadata is cached by then). */
async function describe(current: Engine): Promise<WorkerReply> {
  const plans = await buildPlans(current.deps, current.settings);
  const { connector } = current;
  const shape = {
    entity: await connector.getEntity('contact'),
    attributes: new Map((await connector.listAttributes('contact')).map((a) => [a.logicalName, a])),
  };
  return {
    type: 'described',
    entities: [...plans.keys()],
    contactColumns: wireColumns(shape, plans.get('contact')?.select ?? []),
  };
}

async function pass(current: Engine, budgetMs: number | undefined): Promise<WorkerReply> {
  current.rowsRead = 0;
  current.writes.reset();
  const before = current.connector.stats();
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Past the budget the pass stops at its next page boundary, as when an operator disables the sync (B8.1).
  const signal = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
  const outcome = await runPass(current.deps, current.settings, {
    trigger: 'bench',
    signal,
    onProgress: (event) => {
      current.rowsRead += event.rows;
    },
  });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const after = current.connector.stats();
  const measurement: PassMeasurement = {
    status: outcome.status,
    error: outcome.error,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    requests: after.requests - before.requests,
    throttled: after.throttled - before.throttled,
    retries: after.retries - before.retries,
    rowsRead: current.rowsRead,
    rowsWritten: current.writes.operations,
    writeMs: current.writes.spanMs,
    counts: outcome.counts,
  };
  return { type: 'pass', pass: measurement };
}

/** Marketing users edit `count` persons linked to contacts (origin `api`, so the next pass pushes them). */
async function editPersons(current: Engine, count: number, tag: string): Promise<WorkerReply> {
  const { store } = current;
  let edited = 0;
  let cursor: string | undefined;
  while (edited < count) {
    const page = await store.listLinks('contact', { limit: Math.min(1000, count - edited), cursor });
    if (page.items.length === 0) break;
    await store.withTransaction(async (tx) => {
      for (const link of page.items) {
        await tx.updatePerson(link.personId, { title: `${tag} ${edited}` }, 'api');
        edited += 1;
      }
    });
    cursor = page.nextCursor ?? undefined;
    if (cursor === undefined) break;
  }
  return { type: 'edited', edited };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  if (request.type === 'open') return open(request);
  if (engine === undefined) throw new Error('the engine is not open');
  switch (request.type) {
    case 'describe':
      return describe(engine);
    case 'pass':
      return pass(engine, request.budgetMs);
    case 'edit-persons':
      return editPersons(engine, request.count, request.tag);
    case 'close':
      await engine.connector.close();
      await engine.hold.release();
      await engine.store.close();
      return { type: 'closed', maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  }
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => {
      process.send!(reply);
      if (reply.type === 'closed') process.disconnect();
    },
    (error: unknown) =>
      process.send!({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies WorkerReply),
  );
});
