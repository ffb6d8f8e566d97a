import pg from 'pg';
import type { LeaseTable } from '../lease-table.ts';

/** Every lease statement ends (or fails) within this long, so a tick never hangs on a lost connection. */
const statementTimeoutMs = 4_000;

/**
 * The cluster's lease table on PostgreSQL (B2.9), on a small pool of its own: the store's pool may be busy
 * with a page of thousands of rows exactly when a renewal is due. Plain SQL rather than a job library
 * (pg-boss, graphile-worker): those hand out jobs, not a long-lived hold with an epoch that other
 * transactions check, which is what fencing the sync's commits needs — and the whole protocol is four
 * statements, tested over real processes (tests/cluster/).
 */
export function postgresLeaseTable(url: string, schema: string): LeaseTable {
  const pool = new pg.Pool({
    connectionString: url,
    max: 2,
    options: `-c search_path=${schema} -c statement_timeout=${statementTimeoutMs}`,
    connectionTimeoutMillis: statementTimeoutMs,
    // The client gives up too: a statement sent over a connection that silently died never gets an answer.
    query_timeout: statementTimeoutMs + 1_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
  });
  // An idle connection failing (server restart, network cut) must not crash the process; the next call fails.
  pool.on('error', () => undefined);
  return {
    async heartbeat(replica, forgetAfterSeconds) {
      await pool.query(
        `insert into sync_replicas (token, id, host, pid, started_at, last_seen_at)
         values ($1, $2, $3, $4, $5, clock_timestamp())
         on conflict (token) do update set last_seen_at = clock_timestamp()`,
        [replica.token, replica.id, replica.host, replica.pid, replica.startedAt],
      );
      await pool.query(
        `delete from sync_replicas where last_seen_at < clock_timestamp() - make_interval(secs => $1)`,
        [forgetAfterSeconds],
      );
    },

    async tryAcquire(name, replica, seconds) {
      await pool.query(`insert into sync_leases (name) values ($1) on conflict (name) do nothing`, [name]);
      // The where clause is evaluated before any row lock is taken: a hold that has not expired is skipped
      // without waiting for the holder's fenced transactions (which keep the row `for key share`). An expired
      // one is locked `for update` (the epoch is a key column, migration 0009), which waits for those
      // transactions to end — so no transaction of the old epoch is still running once the new epoch exists. A
      // renewal changes no key column: it does not wait for them.
      const { rows } = await pool.query<{
        epoch: string;
        previous_holder: string | null;
        previous_token: string | null;
      }>(
        `update sync_leases l
         set holder = $2, holder_token = $3, epoch = l.epoch + 1,
             acquired_at = clock_timestamp(), expires_at = clock_timestamp() + make_interval(secs => $4)
         from (select holder, holder_token from sync_leases where name = $1) p
         where l.name = $1 and (l.holder_token is null or l.expires_at < clock_timestamp())
         returning l.epoch, p.holder as previous_holder, p.holder_token as previous_token`,
        [name, replica.id, replica.token, seconds],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return {
        grant: { name, token: replica.token, epoch: Number(row.epoch) },
        previousHolder: row.previous_holder,
        takeover: row.previous_token !== null,
      };
    },

    async renew(grant, seconds) {
      const { rowCount } = await pool.query(
        `update sync_leases set expires_at = clock_timestamp() + make_interval(secs => $4)
         where name = $1 and holder_token = $2 and epoch = $3`,
        [grant.name, grant.token, grant.epoch, seconds],
      );
      return rowCount === 1;
    },

    async release(grant) {
      await pool.query(
        `update sync_leases set holder_token = null, expires_at = clock_timestamp()
         where name = $1 and holder_token = $2 and epoch = $3`,
        [grant.name, grant.token, grant.epoch],
      );
    },

    async leave(replica) {
      await pool.query(`delete from sync_replicas where token = $1`, [replica.token]);
    },

    async view() {
      const leases = await pool.query<{
        name: string;
        holder: string | null;
        holder_token: string | null;
        epoch: string;
        expires_at: Date | null;
        live: boolean;
      }>(
        `select name, holder, holder_token, epoch, expires_at,
                (holder_token is not null and expires_at > clock_timestamp()) as live
         from sync_leases order by name`,
      );
      const replicas = await pool.query<{
        token: string;
        id: string;
        host: string;
        pid: number;
        started_at: Date;
        last_seen_at: Date;
      }>(`select token, id, host, pid, started_at, last_seen_at from sync_replicas order by started_at, id`);
      return {
        replicas: replicas.rows.map((replica) => ({
          id: replica.id,
          host: replica.host,
          pid: replica.pid,
          startedAt: replica.started_at.toISOString(),
          lastSeenAt: replica.last_seen_at.toISOString(),
          leases: leases.rows
            .filter((lease) => lease.live && lease.holder_token === replica.token)
            .map((lease) => lease.name),
        })),
        // A released or expired lease shows no holder: nobody may commit under it until it is taken again.
        leases: leases.rows.map((lease) => ({
          name: lease.name,
          holder: lease.live ? lease.holder : null,
          epoch: Number(lease.epoch),
          expiresAt: lease.live ? (lease.expires_at?.toISOString() ?? null) : null,
        })),
      };
    },

    close: () => pool.end(),
  };
}
