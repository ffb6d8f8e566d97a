import type { SelectQueryBuilder } from 'kysely';
import type { StoreContext } from './store-context.ts';

/**
 * The store's locking rule (B4.7): a row that a transaction reads in order to decide what to write into it —
 * a person the merge compares with its bases, a record's bases document — is read under a lock that every
 * other writer of that row also takes before its own read, and held until the transaction ends. So a decision
 * is never taken from a snapshot that a concurrent commit has already made stale (a marketing edit
 * acknowledged while a page applies is either seen by the page or waits for it; it is never overwritten).
 *
 * Locks are taken in one order everywhere, so two writers cannot deadlock on them: the link keys of CRM records
 * first (`lockLinksOf`, buckets sorted, advisory), then the email keys (`person-email:<normalised email>`,
 * sorted, advisory), then person rows by id, then bases rows by CRM id.
 *
 * How a row is held is the backend's capability (`rowLocks`): PostgreSQL locks the rows the read returns
 * (`select … for update`, ordered by key so that two lockers of overlapping sets meet in the same order);
 * SQLite needs nothing, as its write transactions are `BEGIN IMMEDIATE` and exclude every other writer from
 * their first statement.
 */
export function lockingRead<DB, TB extends keyof DB, O>(
  ctx: Pick<StoreContext, 'backend'>,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return ctx.backend.capabilities.rowLocks ? query.forUpdate() : query;
}
