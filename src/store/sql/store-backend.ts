import type { Kysely } from 'kysely';
import type { BulkInsert } from './bulk-insert.ts';
import type { Database } from './schema.ts';
import type { LeaseGrant } from '../lease-fence.ts';
import type { StoreCapabilities } from '../store.ts';

/** A change-feed row as both backends return it; `cursor` is already encoded. */
export interface ChangeRow {
  readonly cursor: string;
  readonly person_id: string;
  readonly origin: string;
  readonly kind: string;
  readonly fields: string;
  readonly at: string | Date;
}

/** New values of one person row (`fields` as JSON text), as `updatePersonRows` writes them. */
export interface PersonRowUpdate {
  readonly id: string;
  readonly email_norm: string | null;
  readonly crm_type: string | null;
  readonly crm_account_id: string | null;
  readonly fields: string;
  readonly updated_at: string;
}

/**
 * What differs between SQLite and PostgreSQL below the shared store code (Kysely's adapter idea): declared
 * here once, so no caller ever asks which backend it has.
 */
export interface StoreBackend {
  readonly capabilities: StoreCapabilities;
  /**
   * Inside a transaction: blocks until no other transaction holds `key`, and holds it until this one ends.
   * PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing, as `BEGIN IMMEDIATE` already made this
   * transaction the only writer.
   */
  lockKey(db: Kysely<Database>, key: string): Promise<void>;
  /** `lockKey` for many keys in one round trip, taken in the order given (callers sort them). */
  lockKeys(db: Kysely<Database>, keys: readonly string[]): Promise<void>;
  /**
   * The change feed after `after` (an encoded cursor of this backend), at most `limit` rows, in commit order.
   * With `exceptOrigin`, of the `limit` rows scanned only those of other origins come back, plus the last one
   * scanned whatever its origin (where to resume). Throws INVALID_CURSOR for a cursor this backend did not issue.
   */
  readChanges(
    db: Kysely<Database>,
    after: string | undefined,
    limit: number,
    exceptOrigin?: string,
  ): Promise<ChangeRow[]>;
  /**
   * Deletes the feed rows at or before every cursor of `through` (each an encoded cursor of this backend) and,
   * when `before` is given, committed before that instant; returns how many.
   */
  pruneChanges(db: Kysely<Database>, through: readonly string[], before?: string): Promise<number>;
  /**
   * Brings the query planner's statistics of the tables the sync reads in bulk up to date (ANALYZE). Lookups
   * of a page's rows (`crm_id in (…5,000 ids)`) need them: without statistics PostgreSQL takes such a list to
   * match most of the table and scans it, so every page costs more than the one before.
   */
  refreshStatistics(db: Kysely<Database>): Promise<void>;
  /**
   * Writes new values into existing person rows (inside the caller's transaction, rows already locked).
   * PostgreSQL: one statement per `maxBatchRows` rows, as each statement is a round trip (with one per person,
   * an incremental pass of 1,000 CRM changes at 1,000,000 persons took 3.3 s; with this, 1.5 s at the same
   * load). SQLite: a prepared statement per row, which costs no round trip.
   */
  updatePersonRows(db: Kysely<Database>, rows: readonly PersonRowUpdate[]): Promise<void>;
  /**
   * Inserts `rows` (each the values of `insert.columns`, in that order) in the order given, inside the
   * caller's transaction, with SQL text built once per shape (bulk-insert.ts). SQLite: cached multi-row
   * statements of a few fixed sizes. PostgreSQL: the rows as one JSON parameter taken apart by
   * `jsonb_array_elements`, 1,000 rows per statement. A failing row fails the call (and, on PostgreSQL,
   * the transaction).
   */
  insertRows(db: Kysely<Database>, insert: BulkInsert, rows: readonly (readonly unknown[])[]): Promise<void>;
  /**
   * Inside a transaction, as its first statement: whether `grant` is still the lease's current hold (B2.9),
   * keeping it so until the transaction ends — a takeover waits for the transaction, and a transaction that
   * starts after the takeover sees the new epoch. PostgreSQL: `select … for key share` on the lease row (a renewal
   * goes through; a takeover, which changes the epoch, a key column, waits).
   * SQLite: always true, as one engine per file is enforced by the file lock (engine-lock.ts) and no lease exists.
   */
  checkFence(db: Kysely<Database>, grant: LeaseGrant): Promise<boolean>;
  /** The error is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /** The error means the database cannot be reached or opened (→ STORE_UNAVAILABLE). */
  isUnavailable(error: unknown): boolean;
}
