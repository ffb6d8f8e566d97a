import pg from 'pg';
import type { EngineLock, EngineLockProvider } from '../engine-lock.ts';

/**
 * The engine hold on a PostgreSQL schema: a session advisory lock on a connection of its own, kept for the
 * engine's lifetime. The server releases it when the session ends — when the holder exits or dies, or when
 * the server notices the connection is gone. That last case is why the cluster replaces this with leases and
 * fencing epochs (B2.9): until the server notices, a partitioned holder still believes it holds the lock.
 * Here a failed connection at least tells the holder at once (`onLost`).
 */
export function postgresEngineLock(url: string, schema: string): EngineLockProvider {
  return {
    async tryAcquire() {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
      let listener: ((reason: string) => void) | undefined;
      let lost: string | undefined;
      let released = false;
      client.on('error', (error) => {
        if (released || lost !== undefined) return;
        lost = `the engine lock's PostgreSQL connection failed: ${error.message}`;
        listener?.(lost);
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ held: boolean }>(
          'select pg_try_advisory_lock(hashtextextended($1, 0)) as held',
          [`syncline-engine:${schema}`],
        );
        if (rows[0]?.held !== true) {
          await client.end();
          return undefined;
        }
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      const lock: EngineLock = {
        async release() {
          if (released) return;
          released = true;
          // Ending the session releases the advisory lock.
          await client.end().catch(() => undefined);
        },
        onLost(callback) {
          listener = callback;
          if (lost !== undefined) callback(lost);
        },
      };
      return lock;
    },
  };
}
