/**
 * The engine's face: the only engine module that code outside `src/engine` imports (flows, the API, the CLI,
 * the composition root, benches and integration tests). Everything else under `src/engine` is internal and may
 * change shape without notice; what is here is the contract.
 *
 * Conventions of every operation below: `deps` is the one `EngineDeps` the composition root built; writes to
 * the marketing database go through `deps.store` with origin `sync` (never mistaken for a marketing edit,
 * B4.4); CRM failures surface as `CrmError` (a `SynclineError` with a CRM_* code) unless the operation says it
 * records them; no operation moves a change cursor unless it says so.
 */

// ── The running sync ─────────────────────────────────────────────────────────────────────────────────────
/**
 * `new SyncService(deps, settings)`: the pass loop (B2.1), the backfill runner (B5.5) and the admin facade
 * (`SyncAdmin`: status B6.5, enable/disable B8.1, run a pass now, resync, preview B8.2, fields B5, errors B6.1).
 * `start()` after the store opened, `stop()` before it closes; `engine.runOnce(trigger)` runs one pass
 * without the loop (`sync --once`), `engine.onProgress` reports it and `engine.onEstimate` tells beforehand what
 * each entity's read is expected to bring (`EntityBacklog`, as the status's `fromCrm`).
 */
export { SyncService } from './run/sync-service.ts';
export { defaultEngineSettings, type EngineDeps, type EngineSettings } from './engine-deps.ts';
export type {
  EntityStatus,
  FieldSelection,
  PreviewWrite,
  ResyncResult,
  SyncAdmin,
  SyncErrorStatus,
  SyncPreview,
  SyncStatus,
} from './admin/sync-admin.ts';
export type { EntityBacklog } from './admin/crm-backlog.ts';
/**
 * B2.8 latency: `new LatencyRecorder()` times changes carried to either side over the last hour; one per engine
 * process, given to the engine as `EngineDeps.latency` (SyncService makes one when absent: `sync.latency`).
 * Records read by id and applied with `applyFetchedRecords` are timed when the deps carry it (a webhook's:
 * `modifiedon` → commit); `record`/`recordFromCrm` are the seam for any other path. `onSample` feeds metrics.
 */
export {
  LatencyRecorder,
  type LatencyDirection,
  type LatencyListener,
  type LatencyPercentiles,
  type LatencySummary,
} from './admin/sync-latency.ts';

// ── Passes and plans ─────────────────────────────────────────────────────────────────────────────────────
/**
 * `runPass(deps, settings, options)`: one pass (B2.2) without the loop; never throws for a pass-level failure
 * (it is recorded and returned as `status: 'failed'`, B6.3). Must not overlap another pass on the same data.
 * `buildPlans(deps, settings)`: one `EntityPlan` per entity the CRM has (a missing custom entity is skipped);
 * fills an empty field catalog from the CRM metadata first. Plans are read-only values: share them freely.
 * `syncEntitiesOf(settings)`: the synced entities in dependency order (B2.2).
 */
export {
  buildPlans,
  runPass,
  syncEntitiesOf,
  type PassOptions,
  type PassOutcome,
} from './run/pass-runner.ts';
export type { EntityPlan } from './fields/entity-plan.ts';
export type { PullProgress } from './pull/crm-puller.ts';

// ── Operations on one record ─────────────────────────────────────────────────────────────────────────────
/** Push one linked record's pending changes now, with the pass's rules (B4.5, B6.1, B5.6); see push-now.ts. */
export { pushRecordNow } from './push/push-now.ts';
/** Link a person to a record a flow action created, as a first link with the person's values first (B3.2, B7.1). */
export { linkPersonToRecord, type LinkRequest } from './apply/person-linker.ts';
/** B6.1 in one place: one sync error per distinct error + one `crm.sync-failed` activity when it is new. */
export { recordSyncFailure, type SyncFailure } from './push/sync-failure.ts';
/** B5.6: quarantine a vanished attribute and get a new plan without it (the given plan is never changed). */
export { quarantineField } from './fields/quarantine-field.ts';
/**
 * Apply records read by id with the pass's rules in one transaction, moving no cursor (B2.8, B4.5, B8.2); the
 * changes they carry to persons are timed when `deps.latency` is the runtime's recorder (status `latency`).
 */
export {
  applyFetchedRecords,
  rereadRecord,
  type FetchedRecords,
  type FetchScope,
} from './apply/fetched-records.ts';
/** An owner id resolved to a systemuser or a team with its name and email (B1.5), mirror first, then the CRM. */
export { resolveOwner, type ResolvedOwner } from './apply/owner-resolver.ts';

// ── Names of the engine's durable state ──────────────────────────────────────────────────────────────────
/**
 * Keys under which the engine keeps its state in the store, for tests and operator tools that inspect or
 * preset it: `crmCursorName(entity)` (an entity's change cursor, B2.4), `marketingCursorName` (the position
 * in the marketing change feed), `enabledSetting` (`'false'` when an admin disabled the sync, B8.1),
 * `initialLoadSetting` (when the initial load finished, B2.6; absent before).
 */
export { initialLoadSetting } from './run/pass-runner.ts';
export { crmCursorName } from './pull/crm-puller.ts';
export { marketingCursorName } from './push/marketing-feed.ts';
export { enabledSetting } from './run/sync-engine.ts';
/** Bounded storage: prunes the change feed once every reader passed it, old sync errors and throughput. */
export { StoragePruner, type PruneReport, type StoragePrunerOptions } from './run/storage-pruner.ts';
