import type { DatabaseConfig } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';
import { createPostgresStore } from './postgres/postgres-store.ts';
import { createSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/**
 * The store registry: configuration kind → backend. The returned store is not migrated yet; call
 * `migrate()` (start and `syncline migrate` do). A PostgreSQL URL may name the schema for Syncline's tables
 * with `?schema=<name>` (default `public`; the tests use one schema per run).
 */
export function createStore(config: DatabaseConfig, logger: Logger): Promise<Store> {
  switch (config.kind) {
    case 'sqlite':
      return createSqliteStore({ path: config.path }, logger);
    case 'postgres':
      return createPostgresStore(postgresOptions(config.url), logger);
  }
}

function postgresOptions(value: string): { url: string; schema?: string } {
  const url = new URL(value);
  const schema = url.searchParams.get('schema');
  if (schema === null) return { url: value };
  url.searchParams.delete('schema');
  return { url: url.toString(), schema };
}
