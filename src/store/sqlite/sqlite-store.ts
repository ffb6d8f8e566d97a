import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, sql } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { ChangeSignal } from '../sql/change-signal.ts';
import { PersonFieldCatalog } from '../sql/person-field-catalog.ts';
import type { Database } from '../sql/schema.ts';
import { createSqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import { migrateToLatest, readMigrationStatus } from '../sql/store-migrator.ts';
import { sqliteBackend } from './sqlite-backend.ts';
import { fromNodeSqlite, NodeSqliteDialect } from './sqlite-dialect.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';

export interface SqliteStoreOptions {
  /** The database file (its directory is created), or `:memory:`. */
  readonly path: string;
}

/** One open database file of this process, shared by every store on it. */
interface OpenFile {
  readonly db: Kysely<Database>;
  /** B2.8: every store of this process on the file hears its marketing commits (no other process writes it). */
  readonly changeSignal: ChangeSignal;
  references: number;
}

/**
 * node:sqlite is synchronous: a second connection in the same thread that waits for the write lock blocks
 * the very thread that would release it, until busy_timeout fails it. So every store of this process on one
 * file shares one connection (and Kysely's mutex serialises their transactions); other processes wait on
 * busy_timeout as usual.
 */
const openFiles = new Map<string, OpenFile>();

/**
 * The embedded store (the default) on the built-in `node:sqlite`. WAL lets readers run beside the writer;
 * `synchronous = FULL` makes every commit durable before it returns (B2.4: a cursor, once advanced, stays
 * advanced, even after a power loss); foreign keys are on (person deletes cascade to their activities and
 * links); a writer of another process is waited for up to 5 s rather than failing.
 */
export async function createSqliteStore(options: SqliteStoreOptions, logger: Logger): Promise<Store> {
  const key = options.path === ':memory:' ? undefined : resolve(options.path);
  const log = logger.child({ component: 'store', backend: 'sqlite' });
  const file = (key === undefined ? undefined : openFiles.get(key)) ?? openFile(options.path, log);
  file.references += 1;
  if (key !== undefined) openFiles.set(key, file);
  let closed = false;
  return createSqlStore(
    {
      db: file.db,
      backend: sqliteBackend,
      logger: log,
      fields: new PersonFieldCatalog(),
      inTransaction: false,
      changeSignal: file.changeSignal,
    },
    {
      migrate: () =>
        migrateToLatest(file.db, sqliteMigrations, log, (trx) => sqliteBackend.lockKey(trx, 'migrate')),
      migrationStatus: () =>
        readMigrationStatus(file.db, sqliteMigrations, async (db) => {
          const found = await sql<{ name: string }>`select name from sqlite_master
            where type = 'table' and name = 'syncline_migration'`.execute(db);
          return found.rows.length > 0;
        }),
      async close() {
        if (closed) return;
        closed = true;
        file.references -= 1;
        if (file.references > 0) return;
        if (key !== undefined) openFiles.delete(key);
        await file.db.destroy();
      },
    },
  );
}

function openFile(path: string, log: Logger): OpenFile {
  let database: DatabaseSync;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    database = new DatabaseSync(path);
    database.exec(
      'pragma journal_mode = wal; pragma synchronous = full; pragma foreign_keys = on; pragma busy_timeout = 5000;',
    );
  } catch (error) {
    throw new SynclineError(
      'STORE_UNAVAILABLE',
      `Cannot open the SQLite database ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return {
    db: new Kysely<Database>({ dialect: new NodeSqliteDialect({ database: fromNodeSqlite(database) }) }),
    changeSignal: new ChangeSignal({
      onError: (error) => log.error({ err: error }, 'a marketing-commit listener failed'),
    }),
    references: 0,
  };
}
