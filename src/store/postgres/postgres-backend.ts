import { sql } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { decodeCursor, encodeCursor } from '../page-cursor.ts';
import type { ChangeRow, StoreBackend } from '../store-backend.ts';

const cursorKind = 'person-changes:pg';

/** Connection-level failures: network errors, and SQLSTATE classes 08 (connection), 28 (auth), 3D, 57P. */
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

function decodePosition(cursor: string): { xid: string; seq: string } {
  const [xid, seq] = decodeCursor(cursor, cursorKind, ['string', 'string']) as [string, string];
  if (!/^\d{1,20}$/.test(xid) || !/^\d{1,20}$/.test(seq)) {
    throw new SynclineError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.');
  }
  return { xid, seq };
}

/**
 * PostgreSQL: many writers commit in any order, so neither a sequence nor a timestamp is a safe watermark
 * (a transaction that took seq 10 may commit after one that took seq 11; a reader that saw 11 would skip 10
 * forever). Instead every change row carries its transaction id (`pg_current_xact_id()`), the feed is
 * ordered by (xid, seq), and a reader only returns rows whose xid is below `pg_snapshot_xmin` of its own
 * snapshot — the oldest transaction still running. Everything below that horizon has finished, so every row
 * it will ever have is visible now; everything at or above it is withheld until it has. Any transaction that
 * commits later has an xid at or above the horizon the reader used, hence a larger (xid, seq) than the
 * cursor: nothing is skipped, nothing is read twice. A long-running transaction delays the feed (never loses
 * it). The horizon and the rows come from one statement, so from one snapshot.
 */
export const postgresBackend: StoreBackend = {
  capabilities: { kind: 'postgres', concurrentWriters: true, maxBatchRows: 1000 },

  async lockKey(db, key) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
  },

  async readChanges(db, after, limit) {
    const position = after === undefined ? undefined : decodePosition(after);
    const { rows } = await sql<Omit<ChangeRow, 'cursor'> & { xid: string; seq: string }>`
      select xid::text as xid, seq::text as seq, person_id, origin, kind, fields, at
      from person_changes
      where xid < pg_snapshot_xmin(pg_current_snapshot())
        ${position === undefined ? sql`` : sql`and (xid, seq) > (${position.xid}::xid8, ${position.seq}::bigint)`}
      order by xid, seq
      limit ${limit}`.execute(db);
    return rows.map((row) => ({ ...row, cursor: encodeCursor(cursorKind, [row.xid, row.seq]) }));
  },

  async pruneChanges(db, through) {
    const { xid, seq } = decodePosition(through);
    const result =
      await sql`delete from person_changes where (xid, seq) <= (${xid}::xid8, ${seq}::bigint)`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  },

  isUniqueViolation: (error) => (error as { code?: unknown } | null)?.code === '23505',
  isUnavailable(error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') {
      return (
        error instanceof Error &&
        /Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
      );
    }
    return unavailableErrnos.has(code) || /^(08|28|3D|57P)/.test(code);
  },
};
