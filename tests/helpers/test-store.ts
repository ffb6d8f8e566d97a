import { DatabaseSync } from 'node:sqlite';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { silentLogger, type Logger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { testDatabaseUrl } from './test-env.ts';

export type StoreKind = 'sqlite' | 'postgres';

export const storeKinds: readonly StoreKind[] = ['sqlite', 'postgres'];

/** A database of its own for one test (or one suite): a temp SQLite file, or a PostgreSQL schema. */
export interface TestDatabase extends AsyncDisposable {
  readonly kind: StoreKind;
  /** What `createStore`/`startApp` take; for PostgreSQL the URL carries `?schema=`. */
  readonly config: DatabaseConfig;
  /** Deletes the file or drops the schema. Close every store on it first. */
  dispose(): Promise<void>;
}

export interface TestStore extends AsyncDisposable {
  readonly store: Store;
  readonly database: TestDatabase;
  /** Closes the store and deletes its database. */
  dispose(): Promise<void>;
}

/**
 * A fresh, empty database. PostgreSQL schemas are named `syncline_test_<random>` (pg-boss style: one schema
 * per test, so tests never share state and can run in parallel); `dispose` drops it.
 */
export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const directory = await mkdtemp(join(tmpdir(), 'syncline-store-'));
    const dispose = () => rm(directory, { recursive: true, force: true });
    return {
      kind,
      config: { kind, path: join(directory, 'syncline.db') },
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  }
  const schema = `syncline_test_${randomBytes(8).toString('hex')}`;
  const url = new URL(testDatabaseUrl);
  url.searchParams.set('schema', schema);
  const dispose = async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  };
  return { kind, config: { kind, url: url.toString() }, dispose, [Symbol.asyncDispose]: dispose };
}

/** A migrated store on a fresh database. */
export async function openTestStore(kind: StoreKind, logger: Logger = silentLogger()): Promise<TestStore> {
  const database = await createTestDatabase(kind);
  const store = await createStore(database.config, logger);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    await database.dispose();
    throw error;
  }
  const dispose = async () => {
    await store.close();
    await database.dispose();
  };
  return { store, database, dispose, [Symbol.asyncDispose]: dispose };
}

/** A plain `pg` client on a PostgreSQL test database, its schema first on the search path, for raw SQL. */
export async function withRawPostgres<T>(
  database: TestDatabase,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  if (database.config.kind !== 'postgres') throw new Error('withRawPostgres needs a PostgreSQL database');
  const url = new URL(database.config.url);
  const schema = url.searchParams.get('schema')!;
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`set search_path to ${schema}`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Raw SQL on a test database, beside the store (migration tests put a database back into an older schema
 * version with it): each statement on a plain node:sqlite connection or a `pg` client on the test schema.
 */
export async function executeRaw(database: TestDatabase, statements: readonly string[]): Promise<void> {
  if (database.config.kind === 'sqlite') {
    const db = new DatabaseSync(database.config.path);
    try {
      for (const statement of statements) db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  await withRawPostgres(database, async (client) => {
    for (const statement of statements) await client.query(statement);
  });
}
