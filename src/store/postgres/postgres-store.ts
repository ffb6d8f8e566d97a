import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { PersonFieldCatalog } from '../sql/person-field-catalog.ts';
import type { Database } from '../sql/schema.ts';
import { createSqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import { migrateToLatest, readMigrationStatus } from '../sql/store-migrator.ts';
import { postgresBackend } from './postgres-backend.ts';
import { postgresChangeSignal } from './postgres-change-listener.ts';
import { postgresMigrations } from './postgres-migrations.ts';

export interface PostgresStoreOptions {
  readonly url: string;
  /** The schema holding Syncline's tables (created by `migrate`); default `public`. Tests use one per run. */
  readonly schema?: string;
  /** Connection pool size; default 10. */
  readonly poolSize?: number;
}

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The PostgreSQL store through `pg` and Kysely's PostgresDialect. Every pooled connection has its
 * `search_path` set to the schema, so the shared SQL never names it.
 */
export async function createPostgresStore(options: PostgresStoreOptions, logger: Logger): Promise<Store> {
  const schema = options.schema ?? 'public';
  if (!schemaPattern.test(schema)) {
    throw new SynclineError(
      'CONFIG_INVALID',
      `Invalid PostgreSQL schema name ${schema}: use lowercase letters, digits and _.`,
    );
  }
  // `pg` lets the URL's own parameters override the pool's, so an `options=` in the URL (say a statement
  // timeout) would silently drop our search_path and put every table in `public`: both are passed together.
  const url = new URL(options.url);
  const urlOptions = url.searchParams.get('options');
  url.searchParams.delete('options');
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: options.poolSize ?? 10,
    options: [urlOptions, `-c search_path=${schema}`].filter((part) => part !== null).join(' '),
    connectionTimeoutMillis: 10_000,
  });
  const log = logger.child({ component: 'store', backend: 'postgres' });
  // An idle client losing its connection (server restart) must not crash the process; the next query
  // reconnects or fails with STORE_UNAVAILABLE. Logged by the client's own listener, below.
  pool.on('error', () => undefined);
  // For idle and checked-out clients alike: a client checked out by a transaction can fail between
  // two statements — the server ends a fenced transaction left idle by a frozen holder (B2.9), a network cut —
  // and pg then emits 'error' on the client, which would crash the process without a listener. The statement
  // that follows fails with the same error, and the pool drops the client when it is released.
  pool.on('connect', (client) =>
    client.on('error', (error) => log.warn({ err: error.message }, 'PostgreSQL connection failed')),
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const changes = postgresChangeSignal(url.toString(), schema, log);
  return createSqlStore(
    {
      db,
      backend: postgresBackend,
      logger: log,
      fields: new PersonFieldCatalog(),
      inTransaction: false,
      changeSignal: changes.signal,
    },
    {
      // The advisory lock is per schema and covers creating the schema itself (`create schema if not exists`
      // is not race-free on PostgreSQL: concurrent creators fail with a unique violation).
      migrate: () =>
        migrateToLatest(db, postgresMigrations, log, async (trx) => {
          await postgresBackend.lockKey(trx, `syncline-migrate:${schema}`);
          await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
        }),
      // to_regclass looks the name up on the search_path (the store's schema) and is null, not an error,
      // when the table or the schema itself does not exist yet.
      migrationStatus: () =>
        readMigrationStatus(db, postgresMigrations, async (connection) => {
          const found = await sql<{
            exists: boolean;
          }>`select to_regclass('syncline_migration') is not null as exists`.execute(connection);
          return found.rows[0]?.exists === true;
        }),
      close: async () => {
        await changes.close();
        await db.destroy();
      },
    },
  );
}
