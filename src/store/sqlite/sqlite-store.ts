import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { PersonFieldCatalog } from '../person-field-catalog.ts';
import type { Database } from '../schema.ts';
import { createSqlStore } from '../sql-store.ts';
import type { Store } from '../store.ts';
import { migrateToLatest } from '../store-migrator.ts';
import { sqliteBackend } from './sqlite-backend.ts';
import { fromNodeSqlite, NodeSqliteDialect } from './sqlite-dialect.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';

export interface SqliteStoreOptions {
  /** The database file (its directory is created), or `:memory:`. */
  readonly path: string;
}

/**
 * The embedded store (the default) on the built-in `node:sqlite`. WAL lets readers run beside the writer;
 * `synchronous = FULL` makes every commit durable before it returns (B2.4: a cursor, once advanced, stays
 * advanced, even after a power loss); foreign keys are on (person deletes cascade to their activities and
 * links); a busy writer is waited for up to 5 s rather than failing.
 */
export async function createSqliteStore(options: SqliteStoreOptions, logger: Logger): Promise<Store> {
  let database: DatabaseSync;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    database = new DatabaseSync(options.path);
    database.exec(
      'pragma journal_mode = wal; pragma synchronous = full; pragma foreign_keys = on; pragma busy_timeout = 5000;',
    );
  } catch (error) {
    throw new SynclineError(
      'STORE_UNAVAILABLE',
      `Cannot open the SQLite database ${options.path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const db = new Kysely<Database>({ dialect: new NodeSqliteDialect({ database: fromNodeSqlite(database) }) });
  const log = logger.child({ component: 'store', backend: 'sqlite' });
  return createSqlStore(
    { db, backend: sqliteBackend, logger: log, fields: new PersonFieldCatalog(), inTransaction: false },
    {
      migrate: () => migrateToLatest(db, sqliteMigrations, log),
      close: () => db.destroy(),
    },
  );
}
