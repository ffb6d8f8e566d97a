import type { Kysely } from 'kysely';
import type { Logger } from '../../logging/logger.ts';
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
}

/** Runs `fn` in the current transaction, or in a new one when there is none. */
export async function atomically<T>(ctx: StoreContext, fn: (tx: StoreContext) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) return fn(ctx);
  return ctx.db.transaction().execute((trx) => fn({ ...ctx, db: trx, inTransaction: true }));
}
