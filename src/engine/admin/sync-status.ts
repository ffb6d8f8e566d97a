import { isPersonEntity } from '../../domain/sync-entities.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityStatus, SyncStatus } from './sync-admin.ts';
import { initialLoadSetting, syncEntitiesOf } from '../run/pass-runner.ts';
import type { SyncEngine } from '../run/sync-engine.ts';
import { countCrmBacklog, type EntityBacklog } from './crm-backlog.ts';
import type { InitialLoadEntityProgress } from '../../store/initial-load-store.ts';

const hourMs = 3_600_000;
const none = { p50Ms: null, p95Ms: null, p99Ms: null, count: 0 };
const noLatency = { fromCrm: none, toCrm: none };
/** The CRM backlog is counted again at most this often, and after every pass (B6.5; one request per entity). */
const backlogMaxAgeMs = 15_000;
/** A status waits this long for a count under way, then answers with the previous one. */
const backlogWaitMs = 3_000;
const uncounted: EntityBacklog = { pending: null, atLeast: false, basis: null, countedAt: null };

/**
 * Builds the status of interfaces.md §4 (B6.5). "growing" compares each entity's pending count with the
 * previous sample, taken at most once a minute, so a page refresh does not reset the trend. What is pending
 * from the CRM is counted by the CRM (crm-backlog.ts), at most every 15 s and again after each pass, in the
 * background: a slow CRM delays a status by 3 s at most.
 */
export class StatusReporter {
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  readonly #engine: SyncEngine;
  readonly #samples = new Map<string, { at: number; pending: number; previous: number }>();
  #backlog: { at: number; afterPass: string | null; counts: Map<string, EntityBacklog> } | undefined;
  #counting: Promise<void> | undefined;

  constructor(deps: EngineDeps, settings: EngineSettings, engine: SyncEngine) {
    this.#deps = deps;
    this.#settings = settings;
    this.#engine = engine;
  }

  async status(): Promise<SyncStatus> {
    const { store } = this.#deps;
    const now = this.#deps.now().getTime();
    const summary = await store.getPassSummary();
    const pending = await store.pendingPushSummary();
    const done = (await store.getSetting(initialLoadSetting)) !== undefined;
    const synced = syncEntitiesOf(this.#settings).map((entity) => entity.name);
    const backlog = await this.#crmBacklog(synced, done, summary.lastFinishedAt);
    const entities: Record<string, EntityStatus> = {};
    for (const entity of syncEntitiesOf(this.#settings)) {
      const since = (ms: number) => new Date(now - ms).toISOString();
      const pushedLastHour = await store.countSynced(entity.name, 'toCrm', since(hourMs));
      const lastHour = pushedLastHour + (await store.countSynced(entity.name, 'fromCrm', since(hourMs)));
      const last24h =
        (await store.countSynced(entity.name, 'toCrm', since(24 * hourMs))) +
        (await store.countSynced(entity.name, 'fromCrm', since(24 * hourMs)));
      const toCrm = pending[entity.name] ?? { pending: 0, oldestPendingAt: null };
      entities[entity.name] = {
        toCrm,
        fromCrm: backlog.get(entity.name) ?? uncounted,
        syncedLastHour: lastHour,
        syncedLast24h: last24h,
        growing: this.#growing(entity.name, toCrm.pending, now),
        // The push backlog drains at the push rate: records read from the CRM do not shorten it.
        etaSeconds:
          toCrm.pending === 0 || pushedLastHour === 0
            ? null
            : Math.ceil((toCrm.pending / pushedLastHour) * 3600),
        ...(isPersonEntity(entity.name)
          ? { writePath: this.#deps.crm.stats().writePaths?.[entity.name] ?? 'batch' }
          : {}),
      };
    }
    const identities = this.#deps.crm.stats().identities;
    const jobs = await store.listBackfillJobs({ limit: 50, status: ['queued', 'running'] });
    return {
      enabled: this.#engine.enabled,
      state: this.#engine.state,
      nextPassAt: this.#engine.nextPassAt?.toISOString() ?? null,
      passes: summary,
      initialLoad: initialLoadStatus(done, await store.listInitialLoadProgress()),
      errors: { ...(await store.countSyncErrors()), retentionDays: this.#settings.syncErrorRetentionDays },
      entities,
      ...(identities === undefined ? {} : { crm: { identities } }),
      latency: this.#deps.latency?.summary() ?? noLatency,
      backfills: jobs.items.map((job) => ({
        id: job.id,
        entity: job.entity,
        attributes: job.attributes,
        status: job.status,
        processed: job.processed,
        total: job.total,
      })),
    };
  }

  /** The last count, recounted when older than `backlogMaxAgeMs` or when a pass finished since. */
  async #crmBacklog(
    entities: readonly string[],
    initialLoadDone: boolean,
    lastPassFinishedAt: string | null,
  ): Promise<Map<string, EntityBacklog>> {
    const kept = this.#backlog;
    const fresh =
      kept !== undefined &&
      performance.now() - kept.at < backlogMaxAgeMs &&
      kept.afterPass === lastPassFinishedAt;
    if (!fresh) {
      this.#counting ??= countCrmBacklog(this.#deps, entities, initialLoadDone, AbortSignal.timeout(60_000))
        .then((counts) => {
          this.#backlog = { at: performance.now(), afterPass: lastPassFinishedAt, counts };
        })
        .catch((error: unknown) => {
          this.#deps.logger.warn({ err: error }, 'counting pending CRM changes failed');
        })
        .finally(() => {
          this.#counting = undefined;
        });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#counting,
        new Promise((resolve) => {
          timer = setTimeout(resolve, backlogWaitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    return this.#backlog?.counts ?? new Map();
  }

  #growing(entity: string, pending: number, now: number): boolean {
    const sample = this.#samples.get(entity);
    if (sample === undefined) {
      this.#samples.set(entity, { at: now, pending, previous: pending });
      return false;
    }
    if (now - sample.at >= 60_000) this.#samples.set(entity, { at: now, pending, previous: sample.pending });
    const current = this.#samples.get(entity)!;
    return current.pending > current.previous;
  }
}

/**
 * B2.6: the initial load's bar from its persisted progress. `total` is the sum of the CRM's snapshot counts, null
 * while any entity read has none (a partial sum would make the bar lie).
 */
function initialLoadStatus(
  done: boolean,
  progress: readonly InitialLoadEntityProgress[],
): SyncStatus['initialLoad'] {
  const processed = progress.reduce((sum, row) => sum + row.processed, 0);
  const complete = progress.length > 0 && progress.every((row) => row.total !== null);
  const countedAt = progress
    .map((row) => row.totalCountedAt)
    .filter((at): at is string => at !== null)
    .sort()[0];
  return {
    done,
    processed,
    total: complete ? progress.reduce((sum, row) => sum + (row.total ?? 0), 0) : null,
    totalCountedAt: countedAt ?? null,
    entities: progress.map((row) => ({
      entity: row.entity,
      processed: row.processed,
      total: row.total,
      done: row.finishedAt !== null,
    })),
  };
}
