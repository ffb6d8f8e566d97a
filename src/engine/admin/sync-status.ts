import { isPersonEntity } from '../../domain/sync-entities.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityStatus, SyncStatus } from './sync-admin.ts';
import { initialLoadSetting, syncEntitiesOf } from '../run/pass-runner.ts';
import type { SyncEngine } from '../run/sync-engine.ts';

const hourMs = 3_600_000;
const none = { p50Ms: null, p95Ms: null, p99Ms: null, count: 0 };
const noLatency = { fromCrm: none, toCrm: none };

/**
 * Builds the status of interfaces.md §4 (B6.5). "growing" compares each entity's pending count with the
 * previous sample, taken at most once a minute, so a page refresh does not reset the trend.
 */
export class StatusReporter {
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  readonly #engine: SyncEngine;
  readonly #samples = new Map<string, { at: number; pending: number; previous: number }>();
  #initialProcessed = 0;

  constructor(deps: EngineDeps, settings: EngineSettings, engine: SyncEngine) {
    this.#deps = deps;
    this.#settings = settings;
    this.#engine = engine;
  }

  /** Rows applied while the initial load runs (B2.6 progress). */
  addInitialLoadProgress(rows: number): void {
    this.#initialProcessed += rows;
  }

  async status(): Promise<SyncStatus> {
    const { store } = this.#deps;
    const now = this.#deps.now().getTime();
    const summary = await store.getPassSummary();
    const pending = await store.pendingPushSummary();
    const entities: Record<string, EntityStatus> = {};
    for (const entity of syncEntitiesOf(this.#settings)) {
      const since = (ms: number) => new Date(now - ms).toISOString();
      const lastHour =
        (await store.countSynced(entity.name, 'toCrm', since(hourMs))) +
        (await store.countSynced(entity.name, 'fromCrm', since(hourMs)));
      const last24h =
        (await store.countSynced(entity.name, 'toCrm', since(24 * hourMs))) +
        (await store.countSynced(entity.name, 'fromCrm', since(24 * hourMs)));
      const toCrm = pending[entity.name] ?? { pending: 0, oldestPendingAt: null };
      entities[entity.name] = {
        toCrm,
        fromCrm: { pending: null },
        syncedLastHour: lastHour,
        syncedLast24h: last24h,
        growing: this.#growing(entity.name, toCrm.pending, now),
        etaSeconds:
          toCrm.pending === 0 || lastHour === 0 ? null : Math.ceil((toCrm.pending / lastHour) * 3600),
        ...(isPersonEntity(entity.name)
          ? { writePath: this.#deps.crm.stats().writePaths?.[entity.name] ?? 'batch' }
          : {}),
      };
    }
    const identities = this.#deps.crm.stats().identities;
    const jobs = await store.listBackfillJobs({ limit: 50, status: ['queued', 'running'] });
    const done = (await store.getSetting(initialLoadSetting)) !== undefined;
    return {
      enabled: this.#engine.enabled,
      state: this.#engine.state,
      nextPassAt: this.#engine.nextPassAt?.toISOString() ?? null,
      passes: summary,
      initialLoad: { done, processed: this.#initialProcessed, total: null },
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
