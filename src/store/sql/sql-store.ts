import { isSynclineError, SynclineError } from '../../errors/syncline-error.ts';
import { activityOperations } from './activity-operations.ts';
import { campaignOperations } from './campaign-operations.ts';
import { changeFeedOperations } from './change-feed-operations.ts';
import { cursorOperations } from './cursor-operations.ts';
import { jobOperations } from './job-operations.ts';
import { linkOperations } from './link-operations.ts';
import { markerOperations } from './marker-operations.ts';
import { mirrorOperations } from './mirror-operations.ts';
import { notificationDeliveryOperations } from './notification-delivery-operations.ts';
import { outboxOperations } from './outbox-operations.ts';
import { passOperations } from './pass-operations.ts';
import { personFieldOperations } from './person-field-operations.ts';
import { personBulkOperations } from './person-bulk-operations.ts';
import { personOperations } from './person-operations.ts';
import { settingOperations } from './setting-operations.ts';
import { initialLoadOperations } from './initial-load-operations.ts';
import type { MigrationStatus } from '../schema-store.ts';
import type { Store } from '../store.ts';
import type { MigrationReport } from './store-migrator.ts';
import { inNewTransaction, type StoreContext } from './store-context.ts';
import { syncErrorOperations } from './sync-error-operations.ts';
import { syncFieldOperations } from './sync-field-operations.ts';

/** What only the root store (not a transaction's) can do; supplied by the backend's factory. */
export interface StoreLifecycle {
  migrate(): Promise<MigrationReport>;
  migrationStatus(): Promise<MigrationStatus>;
  close(): Promise<void>;
}

/**
 * The one Store implementation above both backends: one operation group per port (or part of one), all on
 * Kysely through a `StoreContext`, with everything backend-specific behind `ctx.backend`. A transaction is the same
 * store over the transaction's connection.
 */
export function createSqlStore(ctx: StoreContext, lifecycle: StoreLifecycle): Store {
  const store: Store = {
    capabilities: ctx.backend.capabilities,
    migrate: lifecycle.migrate,
    migrationStatus: lifecycle.migrationStatus,
    close: lifecycle.close,
    refreshStatistics: () => ctx.backend.refreshStatistics(ctx.db),
    async withTransaction(fn) {
      if (ctx.inTransaction) return fn(self);
      return inNewTransaction(ctx, (tx) => fn(createSqlStore(tx, inTransaction)));
    },
    withFence: (fence) => fencedStore(createSqlStore({ ...ctx, fence }, fencedLifecycle)),
    onMarketingCommit: (listener) => ctx.changeSignal.subscribe(listener),
    ...personOperations(ctx),
    ...personBulkOperations(ctx),
    ...changeFeedOperations(ctx),
    ...activityOperations(ctx),
    ...personFieldOperations(ctx),
    ...mirrorOperations(ctx),
    ...settingOperations(ctx),
    ...linkOperations(ctx),
    ...outboxOperations(ctx),
    ...syncErrorOperations(ctx),
    ...passOperations(ctx),
    ...initialLoadOperations(ctx),
    ...notificationDeliveryOperations(ctx),
    ...jobOperations(ctx),
    ...syncFieldOperations(ctx),
    ...cursorOperations(ctx),
    ...campaignOperations(ctx),
    ...markerOperations(ctx),
  };
  // `withTransaction` hands out `self`, so code inside a transaction sees translated errors too.
  const self = translateErrors(store, ctx);
  return self;
}

const inTransaction: StoreLifecycle = {
  migrate: () => Promise.reject(new Error('migrate() cannot run inside withTransaction')),
  migrationStatus: () =>
    Promise.reject(new Error('migrationStatus() is the root store’s, not a transaction’s')),
  close: () => Promise.reject(new Error('close() the root store, not a transaction')),
};

const fencedLifecycle: StoreLifecycle = {
  migrate: () => Promise.reject(new Error('migrate() the root store, not a fenced one')),
  migrationStatus: () =>
    Promise.reject(new Error('migrationStatus() is the root store’s, not a fenced one’s')),
  // The fenced store shares the root store's connections; the root store closes them.
  close: () => Promise.resolve(),
};

/** Methods a fenced store passes through instead of running them in a fenced transaction. */
const unfencedMethods: ReadonlySet<string> = new Set([
  'withTransaction',
  'withFence',
  'migrate',
  'migrationStatus',
  'close',
  'refreshStatistics',
  'onMarketingCommit',
]);

/**
 * `Store.withFence`: every operation becomes a transaction of its own (or joins the caller's), which the
 * fenced context checks first (store-context.ts) — reads too, as the engine decides what to write from them.
 */
function fencedStore(store: Store): Store {
  const fenced: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    fenced[name] =
      typeof value !== 'function' || unfencedMethods.has(name)
        ? value
        : (...args: unknown[]) =>
            store.withTransaction((tx) =>
              (tx as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args),
            );
  }
  return fenced as unknown as Store;
}

/**
 * Callers see SynclineErrors for expected failures: a database that cannot be reached or opened becomes
 * STORE_UNAVAILABLE (with the driver's error as `cause`, never the connection string); anything else is a
 * bug and passes through unchanged.
 */
function translateErrors(store: Store, ctx: StoreContext): Store {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    wrapped[name] =
      typeof value !== 'function' || synchronousMethods.has(name)
        ? value
        : async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              if (isSynclineError(error) || !ctx.backend.isUnavailable(error)) throw error;
              throw new SynclineError(
                'STORE_UNAVAILABLE',
                `The ${ctx.backend.capabilities.kind} database is unavailable: ${describe(error)}`,
                {
                  cause: error,
                },
              );
            }
          };
  }
  return wrapped as unknown as Store;
}

/**
 * Methods that touch no database and answer at once: passed through as they are, not made async (made async,
 * `withFence` would hand out a promise of a store, and the fenced engine would call methods of a promise).
 */
const synchronousMethods: ReadonlySet<string> = new Set(['onMarketingCommit', 'withFence']);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
