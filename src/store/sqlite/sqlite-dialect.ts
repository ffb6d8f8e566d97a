import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';

/** Prepared statements kept per SQL text; the store issues a small, fixed set of shapes. */
const statementCacheSize = 256;
/**
 * Longer statements are multi-row inserts and long `in (…)` lists: prepared once per use, not cached. SQLite
 * keeps a compiled program of a few hundred bytes per bound parameter, so a cache full of 1,000-row inserts
 * held hundreds of megabytes (issue 7: peak RSS of the initial load), while preparing one costs far less
 * than running it.
 */
export const maxCachedStatementLength = 2_000;

/**
 * Kysely's SqliteDialect drives a better-sqlite3-shaped object (`SqliteDatabase`). This adapts the built-in
 * `node:sqlite` to it: spread parameters instead of an array, `reader` from the statement's result columns,
 * booleans bound as 1/0 (node:sqlite binds only numbers, strings, bigints, buffers and null).
 */
export function fromNodeSqlite(database: DatabaseSync): SqliteDatabase {
  const statements = new Map<string, StatementSync>();
  const prepare = (text: string): StatementSync => {
    if (text.length > maxCachedStatementLength) return database.prepare(text);
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = database.prepare(text);
      if (statements.size >= statementCacheSize) statements.delete(statements.keys().next().value!);
      statements.set(text, statement);
    }
    return statement;
  };
  return {
    close: () => database.close(),
    prepare(text) {
      const statement = prepare(text);
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...bind(parameters)),
        run: (parameters) => statement.run(...bind(parameters)),
        iterate: (parameters) => statement.iterate(...bind(parameters)),
      };
    },
  };
}

function bind(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === undefined) return null;
    if (value instanceof Date) return value.toISOString();
    return value as SQLInputValue;
  });
}

/**
 * Kysely's SQLite driver with `BEGIN IMMEDIATE`: a transaction takes the write lock when it starts, so two
 * processes sharing the file queue on `busy_timeout` instead of failing with SQLITE_BUSY when a reader tries
 * to upgrade, and a read-then-write (upsert by email) cannot interleave with another writer.
 */
class NodeSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = Object.freeze({ ...config });
  }

  override createDriver(): Driver {
    return new NodeSqliteDriver(this.#config);
  }
}
