import { sql } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { decodeCursor, encodeCursor } from '../sql/page-cursor.ts';
import type { ChangeRow, StoreBackend } from '../sql/store-backend.ts';
import { postgresInsertRows } from './postgres-insert-rows.ts';

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
 * ordered by (xid, seq), and a reader returns only rows below a *horizon*: the oldest transaction that may
 * still add rows. Everything below it has finished, so every row it will ever have is visible now; anything
 * at or above it is withheld until it has. A transaction that commits later has an xid at or above the
 * horizon the reader used, hence a larger (xid, seq) than the cursor: nothing is skipped, nothing is read
 * twice. The horizon and the rows come from one statement, so from one snapshot.
 *
 * The horizon is not simply `pg_snapshot_xmin` (the oldest running transaction of the whole server): then a
 * long write transaction in any other database or schema would stall the feed. It is the oldest xid among
 * the snapshot's running transactions that (a) holds a lock on a table of this schema — a Syncline writer
 * takes one with its first write, before it even has an xid, and keeps it to the end — or (b) has finished
 * since the snapshot was taken (its rows are invisible to this snapshot); else the snapshot's xmax. A
 * transaction that gets its xid after the snapshot gets one ≥ xmax. The CASE makes the lock scan happen
 * before any status check: otherwise a writer finishing between a check ("in progress") and the scan ("no
 * lock") would be passed while its rows are still invisible to this snapshot. Prepared (two-phase) transactions are
 * not used by Syncline and not considered. Reading inside a write transaction stops below its own xid.
 */
const horizon = sql`(
  with snapshot as (select pg_current_snapshot() as s),
  writers as (
    select own.transactionid::text::bigint as xid32
    from pg_locks rel
    join pg_class class on class.oid = rel.relation
    join pg_locks own on own.pid = rel.pid and own.locktype = 'transactionid'
    where rel.locktype = 'relation'
      and rel.database = (select oid from pg_database where datname = current_database())
      and class.relnamespace = current_schema()::regnamespace
  )
  select least(
    coalesce(
      (select min(x) from pg_snapshot_xip(s) as x
        where case when (x::text::bigint % 4294967296) in (select xid32 from writers) then true
                   else pg_xact_status(x) <> 'in progress' end),
      pg_snapshot_xmax(s)),
    coalesce(pg_current_xact_id_if_assigned(), pg_snapshot_xmax(s)))
  from snapshot
)`;

/**
 * How long a fenced transaction (B2.9) may sit idle before the server ends it: longer than any pause between
 * the statements of a healthy transaction, short enough that a takeover waits seconds, not minutes, for the
 * lease row a frozen holder keeps.
 */
const fencedIdleTimeoutMs = 10_000;

export const postgresBackend: StoreBackend = {
  capabilities: { kind: 'postgres', concurrentWriters: true, maxBatchRows: 1000, rowLocks: true },

  async lockKey(db, key) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
  },

  async checkFence(db, grant) {
    // `for key share`: a takeover's update of the row changes the epoch, a key column (migration 0009), so it
    // waits until this transaction ends, while the holder's renewal (`expires_at` only) goes through; the epoch
    // and token say whether the row is still this hold. The idle-in-transaction timeout ends the transaction
    // (and frees the row) when its process is frozen or cut off mid-transaction, so a takeover is never blocked
    // for long.
    const { rows } = await sql<{
      held: boolean;
    }>`select set_config('idle_in_transaction_session_timeout', ${String(fencedIdleTimeoutMs)}, true) is not null as held
      from sync_leases where name = ${grant.name} and holder_token = ${grant.token} and epoch = ${grant.epoch}
      for key share`.execute(db);
    return rows.length > 0;
  },

  async lockKeys(db, keys) {
    if (keys.length === 0) return;
    // unnest … with ordinality keeps the caller's order, which is what prevents deadlocks between lockers.
    await sql`select pg_advisory_xact_lock(hashtextextended(k.key, 0))
      from unnest(${keys}::text[]) with ordinality as k(key, n) order by k.n`.execute(db);
  },

  async readChanges(db, after, limit, exceptOrigin) {
    const position = after === undefined ? undefined : decodePosition(after);
    // `is distinct from null` holds for every origin: without an exception every scanned row comes back. The rows
    // of the excepted origin stay in SQL (never sent), but the last row scanned comes back whatever its origin:
    // the place to resume after. The text casts get their own names: ORDER BY resolves output names first, and
    // ordering by the text of a number would put seq 101 before seq 96.
    const { rows } = await sql<Omit<ChangeRow, 'cursor'> & { xid_text: string; seq_text: string }>`
      with scanned as (
        select xid, seq, person_id, origin, kind, fields, at from person_changes
        where xid < ${horizon}
          ${position === undefined ? sql`` : sql`and (xid, seq) > (${position.xid}::xid8, ${position.seq}::bigint)`}
        order by xid, seq
        limit ${limit}),
      last as (select xid, seq from scanned order by xid desc, seq desc limit 1)
      select xid::text as xid_text, seq::text as seq_text, person_id, origin, kind, fields, at
      from scanned
      where origin is distinct from ${exceptOrigin ?? null}::text or (xid, seq) = (select xid, seq from last)
      order by scanned.xid, scanned.seq`.execute(db);
    return rows.map(({ xid_text, seq_text, ...row }) => ({
      ...row,
      cursor: encodeCursor(cursorKind, [xid_text, seq_text]),
    }));
  },

  async pruneChanges(db, through, before) {
    if (through.length === 0) return 0;
    // One condition per reader: (xid, seq) positions compare in SQL, not as the text of the cursors.
    const passed = through.map((cursor) => {
      const { xid, seq } = decodePosition(cursor);
      return sql`(xid, seq) <= (${xid}::xid8, ${seq}::bigint)`;
    });
    const young = before === undefined ? sql`` : sql` and at < ${before}::timestamptz`;
    const result =
      await sql`delete from person_changes where ${sql.join(passed, sql` and `)}${young}`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  },

  async updatePersonRows(db, rows) {
    const batch = postgresBackend.capabilities.maxBatchRows;
    for (let start = 0; start < rows.length; start += batch) {
      const chunk = rows.slice(start, start + batch);
      const column = <K extends keyof (typeof chunk)[number]>(key: K) => chunk.map((row) => row[key]);
      // One array parameter per column: six bind parameters whatever the chunk size.
      await sql`update persons as p
        set email_norm = u.email_norm, crm_type = u.crm_type, crm_account_id = u.crm_account_id,
            fields = u.fields::jsonb, updated_at = u.updated_at::timestamptz
        from unnest(${column('id')}::text[], ${column('email_norm')}::text[], ${column('crm_type')}::text[],
                    ${column('crm_account_id')}::text[], ${column('fields')}::text[], ${column('updated_at')}::text[])
          as u(id, email_norm, crm_type, crm_account_id, fields, updated_at)
        where p.id = u.id`.execute(db);
    }
  },

  insertRows: postgresInsertRows,

  async refreshStatistics(db) {
    // What autovacuum's autoanalyze would do, had it run: it may be off (this is a server setting, not ours)
    // and lags behind a bulk load in any case. ANALYZE samples (30,000 rows per table) and takes no lock that
    // blocks reads or writes.
    await sql`analyze persons, crm_links, record_bases, crm_mirror, activities, person_changes, pending_pushes`.execute(
      db,
    );
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
