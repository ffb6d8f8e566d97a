import type { CampaignStore } from './campaign-store.ts';
import type { CursorStore } from './cursor-store.ts';
import type { InitialLoadStore } from './initial-load-store.ts';
import type { JobStore } from './job-store.ts';
import type { LeaseFence } from './lease-fence.ts';
import type { LinkStore } from './link-store.ts';
import type { MarkerStore } from './marker-store.ts';
import type { MirrorStore } from './mirror-store.ts';
import type { NotificationDeliveryStore } from './notification-delivery-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { PersonStore } from './person-store.ts';
import type { RunLogStore } from './run-log-store.ts';
import type { SchemaStore } from './schema-store.ts';
import type { SettingStore } from './setting-store.ts';
import type { MigrationReport } from './sql/store-migrator.ts';
import type { SyncFieldStore } from './sync-field-store.ts';

/**
 * The Store: the marketing database as a set of ports, one per consumer need (persons, mirror, settings,
 * links, outbox, run log, jobs, sync fields, cursors, campaigns, markers, schema, notification delivery; each in
 * its own file beside this
 * one). Two implementations (sqlite/, postgres/) share one SQL implementation (sql/) and pass one contract
 * suite per port (tests/contract/register-*-store-tests.ts). Callers never ask which backend they have;
 * differences are `capabilities`.
 *
 * Consumers should take the narrowest port that serves them (the API takes `PersonStore`, `MirrorReadStore`,
 * `CampaignStore`, `SettingStore`; the engine `EngineStore`); only the composition root holds a whole `Store`.
 *
 * Errors: bad input throws `SynclineError` (UNKNOWN_FIELD, VALIDATION_FAILED, READ_ONLY_FIELD, INVALID_CURSOR,
 * CONFLICT, NOT_FOUND) before anything is written; an unreachable database throws STORE_UNAVAILABLE.
 */

export interface StoreCapabilities {
  /** Which backend this is — for logs and the status page only; callers never branch on it. */
  readonly kind: 'sqlite' | 'postgres';
  /** More than one process/connection may write concurrently (PostgreSQL). */
  readonly concurrentWriters: boolean;
  /** Largest number of rows a bulk method writes per statement (the backend's bind-parameter budget). */
  readonly maxBatchRows: number;
  /**
   * Rows read for a read-modify-write are locked by the read itself (`select … for update`, PostgreSQL) until
   * the transaction ends. Without it (SQLite), every write transaction excludes all other writers from its
   * first statement (`BEGIN IMMEDIATE`), which holds every row it reads just the same (B4.7).
   */
  readonly rowLocks: boolean;
}

/**
 * What the sync engine needs: persons and the mirror, its own state (links and bases, outbox, run log, jobs,
 * field selection, cursors) and its settings (enabled, initial load done). Not campaigns or markers, which
 * belong to the flows. Its transactions hand out an `EngineStore` too.
 */
export interface EngineStore
  extends
    PersonStore,
    MirrorStore,
    SettingStore,
    LinkStore,
    OutboxStore,
    RunLogStore,
    InitialLoadStore,
    JobStore,
    SyncFieldStore,
    CursorStore {
  /**
   * Runs `fn` in one database transaction: every write made through `tx` commits together or not at all
   * (B2.4: apply a page of CRM changes and advance the cursor atomically). Contract as in `PersonStore`.
   */
  withTransaction<T>(fn: (tx: EngineStore) => Promise<T>): Promise<T>;
  /**
   * Refreshes the database's query-planner statistics (ANALYZE). Call after writing many rows (an initial load
   * does, as its tables grow); never needed for correctness, only so bulk lookups keep using the indexes.
   */
  refreshStatistics(): Promise<void>;
}

export interface Store
  extends EngineStore, CampaignStore, MarkerStore, SchemaStore, NotificationDeliveryStore {
  readonly capabilities: StoreCapabilities;

  /** Applies pending migrations; idempotent and safe to call from several processes at once. */
  migrate(): Promise<MigrationReport>;
  /** Closes the connections. Only the root store may be closed, not a transaction's. */
  close(): Promise<void>;

  /**
   * The same database for work held through a lease (B2.9, PostgreSQL cluster): every operation runs in a
   * transaction that first checks `fence` is still held and keeps it so until the commit, so a replica that
   * lost its lease (paused, cut off, taken over) commits nothing — its operations fail with LEASE_LOST. One
   * transaction per operation costs a round trip or three; the sync's work is in pages, so that is noise.
   * Closing it does nothing (close the root store). On SQLite no lease exists and the check always passes.
   */
  withFence(fence: LeaseFence): Store;

  /**
   * Runs `fn` in one database transaction: every write made through `tx` commits together or not at all
   * (B2.4: apply a page of CRM changes and advance the cursor atomically). `fn` must use `tx`, never the outer
   * store, until it returns (on SQLite the outer store waits for the transaction and would deadlock). Calling
   * `withTransaction` on `tx` runs in the same transaction. A throw rolls back and is rethrown.
   */
  withTransaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
}
