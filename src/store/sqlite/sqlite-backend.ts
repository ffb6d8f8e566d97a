import { sql } from 'kysely';
import { decodeCursor, encodeCursor } from '../sql/page-cursor.ts';
import type { ChangeRow, StoreBackend } from '../sql/store-backend.ts';
import { sqliteInsertRows } from './sqlite-insert-rows.ts';

const cursorKind = 'person-changes:sqlite';

/** SQLite result codes (extended codes carry the primary code in their low byte). */
const sqliteConstraintUnique = [1555, 2067]; // SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
const sqliteUnavailable = [5, 10, 14, 26]; // BUSY (after busy_timeout), IOERR, CANTOPEN, NOTADB

function errcode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * SQLite: one writer at a time (every write transaction is `BEGIN IMMEDIATE`), so a transaction that starts
 * writing later also commits later, and the change feed's AUTOINCREMENT `seq` is commit order: the cursor is
 * simply the last `seq` read.
 */
export const sqliteBackend: StoreBackend = {
  capabilities: { kind: 'sqlite', concurrentWriters: false, maxBatchRows: 1000, rowLocks: false },

  async lockKey() {
    // The immediate transaction already excludes every other writer, in this process and in others.
  },

  async lockKeys() {
    // As lockKey: nothing to take.
  },

  async updatePersonRows(db, rows) {
    for (const { id, ...values } of rows) {
      await db.updateTable('persons').set(values).where('id', '=', id).execute();
    }
  },

  insertRows: sqliteInsertRows,

  async refreshStatistics(db) {
    // SQLite uses the primary keys for IN lists without statistics; sqlite_stat1 still helps it choose between
    // indexes (e.g. email against crm_type). A sampling ANALYZE (about 1,000 rows per index) stays cheap at
    // millions of rows.
    await sql`pragma analysis_limit = 1000`.execute(db);
    await sql`analyze`.execute(db);
  },

  async readChanges(db, after, limit, exceptOrigin) {
    const seq = after === undefined ? 0 : (decodeCursor(after, cursorKind, ['number']) as [number])[0];
    // `is not null` holds for every origin: without an exception every scanned row comes back. The rows of the
    // excepted origin stay in SQL (never built), but the last row scanned comes back whatever its origin: the
    // place to resume after.
    const { rows } = await sql<ChangeRow & { seq: number }>`
      with scanned as (
        select seq, person_id, origin, kind, fields, at from person_changes
        where seq > ${seq} order by seq limit ${limit})
      select * from scanned
      where origin is not ${exceptOrigin ?? null} or seq = (select max(seq) from scanned)
      order by seq`.execute(db);
    return rows.map((row) => ({ ...row, cursor: encodeCursor(cursorKind, [Number(row.seq)]) }));
  },

  async pruneChanges(db, through, before) {
    if (through.length === 0) return 0;
    // seq is commit order (one writer), so "at or before every cursor" is "at or before the smallest".
    const seqs = through.map((cursor) => (decodeCursor(cursor, cursorKind, ['number']) as [number])[0]);
    let remove = db.deleteFrom('person_changes').where('seq', '<=', Math.min(...seqs));
    if (before !== undefined) remove = remove.where('at', '<', before);
    const result = await remove.executeTakeFirst();
    return Number(result.numDeletedRows);
  },

  isUniqueViolation: (error) => sqliteConstraintUnique.includes(errcode(error) ?? -1),
  // One engine per file is enforced by the file lock (sqlite-engine-lock.ts); SQLite has no leases (B2.9).
  checkFence: () => Promise.resolve(true),
  isUnavailable: (error) => sqliteUnavailable.includes((errcode(error) ?? -1) & 0xff),
};
