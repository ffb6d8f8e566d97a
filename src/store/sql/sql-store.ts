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
import type { LeaseFence, LeaseGrant } from '../lease-fence.ts';
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
    withFence: (fence) => fencedStore(createSqlStore({ ...ctx, fence }, fencedLifecycle), fence),
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
 * Store methods that only read (no row locks either: `getPersonsForUpdate` and `lockLinksOf` are not here). A
 * fenced store runs them without a transaction of their own while its grant was verified by the database less
 * than `readRecheckMs` ago.
 */
const readOnlyMethods: ReadonlySet<string> = new Set([
  'campaignRanDuring',
  'countPersonsOfAccount',
  'countSyncErrors',
  'countSynced',
  'findPersonsByEmails',
  'getBackfillJob',
  'getBases',
  'getBasesOf',
  'getCampaign',
  'getCursor',
  'getLink',
  'getLinks',
  'getMarker',
  'getMirrorRow',
  'getMirrorRows',
  'getPassSummary',
  'getPendingPush',
  'getPerson',
  'getPersons',
  'getSetting',
  'getSyncError',
  'listActivities',
  'listBackfillJobs',
  'listCampaignRuns',
  'listCampaigns',
  'listConflicts',
  'listInitialLoadProgress',
  'listLinks',
  'listLinksOfPerson',
  'listMirrorEntities',
  'listMirrorRows',
  'listNotifications',
  'listOpportunityContactRoles',
  'listPasses',
  'listPendingPushes',
  'listPersonFields',
  'listPersons',
  'listPersonsOfAccount',
  'listSyncErrors',
  'listSyncFields',
  'pendingPushSummary',
  'readPersonChanges',
  'resolvePersonId',
]);

/**
 * How long a fenced store trusts its last verified grant for a read. Issue 17: a fenced read in a transaction
 * of its own costs four round trips (begin, the lease row `for key share`, the read, commit) — on PostgreSQL an
 * idle pass took 2.5 × the CPU and 6 × the wall time with the fence (S6, bench engine fenced as the product
 * is). A read commits nothing, so the fence's guarantee (no commit of an old epoch after a new one exists) does
 * not need it; checking reads at all only makes a holder that lost its lease stop early, and one second late
 * is within what the cluster already allows (standbys try every second). Writes are checked every time.
 */
const readRecheckMs = 1_000;

/**
 * `Store.withFence`: every operation becomes a transaction of its own (or joins the caller's), which the
 * fenced context checks first (store-context.ts). Reads are checked too — so a holder that lost its lease
 * learns it at its next read and stops deciding writes — but at most once a second (`readRecheckMs`).
 */
function fencedStore(store: Store, fence: LeaseFence): Store {
  // The grant the database last confirmed, and when the transaction that confirmed it started.
  let verified: { grant: LeaseGrant; at: number } | undefined;
  const fresh = () => {
    const grant = fence.current();
    return (
      verified !== undefined &&
      grant !== undefined &&
      grant.token === verified.grant.token &&
      grant.epoch === verified.grant.epoch &&
      performance.now() - verified.at < readRecheckMs
    );
  };
  const checked = async <T>(run: () => Promise<T>): Promise<T> => {
    const grant = fence.current();
    const at = performance.now();
    const result = await run();
    if (grant !== undefined) verified = { grant, at };
    return result;
  };
  const fenced: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    const method = value as (...a: unknown[]) => Promise<unknown>;
    if (typeof value !== 'function' || (unfencedMethods.has(name) && name !== 'withTransaction'))
      fenced[name] = value;
    else if (name === 'withTransaction')
      fenced[name] = (fn: (tx: Store) => Promise<unknown>) => checked(() => store.withTransaction(fn));
    else
      fenced[name] = (...args: unknown[]) =>
        readOnlyMethods.has(name) && fresh()
          ? method(...args)
          : checked(() =>
              store.withTransaction((tx) =>
                (tx as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args),
              ),
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
