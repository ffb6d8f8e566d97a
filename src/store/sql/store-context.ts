import type { Kysely } from 'kysely';
import type { Logger } from '../../logging/logger.ts';
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
  const result = await ctx.db
    .transaction()
    .execute((trx) => fn({ ...ctx, db: trx, inTransaction: true, afterCommit }));
  for (const callback of afterCommit) callback();
  return result;
}
