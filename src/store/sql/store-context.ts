import type { Kysely } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { Logger } from '../../logging/logger.ts';
import type { LeaseFence } from '../lease-fence.ts';
import type { ChangeSignal } from './change-signal.ts';
import type { PersonFieldCatalog } from './person-field-catalog.ts';
import type { Database } from './schema.ts';
import type { StoreBackend } from './store-backend.ts';

/** What every store operation works with: the database (or the current transaction) and the backend. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly backend: StoreBackend;
  readonly logger: Logger;
  readonly fields: PersonFieldCatalog;
  /** `db` is a transaction: operations run in it instead of opening their own. */
  readonly inTransaction: boolean;
  /** Raised after a commit that recorded marketing changes (B2.8, `PersonStore.onMarketingCommit`). */
  readonly changeSignal: ChangeSignal;
  /** In a transaction: what to run once it has committed (never after a rollback). */
  readonly afterCommit?: (() => void)[];
  /** A fenced store's lease (B2.9, `Store.withFence`): every new transaction first checks it is still held. */
  readonly fence?: LeaseFence;
}

/** Runs `fn` in the current transaction, or in a new one when there is none. */
export async function atomically<T>(ctx: StoreContext, fn: (tx: StoreContext) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) return fn(ctx);
  return inNewTransaction(ctx, fn);
}

/** Runs `fn` in a new transaction; its `afterCommit` callbacks run once the commit returned. */
export async function inNewTransaction<T>(
  ctx: StoreContext,
  fn: (tx: StoreContext) => Promise<T>,
): Promise<T> {
  const afterCommit: (() => void)[] = [];
  const fence = ctx.fence;
  const result = await ctx.db.transaction().execute(async (trx) => {
    if (fence !== undefined) await checkFence(ctx, trx, fence);
    return fn({ ...ctx, db: trx, inTransaction: true, afterCommit });
  });
  for (const callback of afterCommit) callback();
  return result;
}

/**
 * B2.9: the lease must still be ours when the transaction starts, and stays so until it ends (the check holds
 * the lease row), so sync state is never committed by a replica that was paused or cut off past a takeover.
 */
async function checkFence(ctx: StoreContext, trx: Kysely<Database>, fence: LeaseFence): Promise<void> {
  const grant = fence.current();
  if (grant !== undefined && (await ctx.backend.checkFence(trx, grant))) return;
  throw new SynclineError(
    'LEASE_LOST',
    `This replica no longer holds the ${grant?.name ?? 'sync'} lease: another replica took the work over, so nothing was committed (B2.9).`,
    grant === undefined ? {} : { details: { lease: grant.name, epoch: grant.epoch } },
  );
}
