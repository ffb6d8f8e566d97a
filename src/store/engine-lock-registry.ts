import type { DatabaseConfig } from '../config/config.ts';
import type { EngineLockProvider } from './engine-lock.ts';
import { postgresEngineLock } from './postgres/postgres-engine-lock.ts';
import { sqliteEngineLock } from './sqlite/sqlite-engine-lock.ts';

/** The engine hold (B2.9) for a database configuration: the SQLite file's sidecar, or the PostgreSQL schema's. */
export function createEngineLock(config: DatabaseConfig): EngineLockProvider {
  switch (config.kind) {
    case 'sqlite':
      return sqliteEngineLock(config.path);
    case 'postgres': {
      // The same `?schema=` convention as the store (registry.ts): the hold is per schema.
      const url = new URL(config.url);
      const schema = url.searchParams.get('schema') ?? 'public';
      url.searchParams.delete('schema');
      return postgresEngineLock(url.toString(), schema);
    }
  }
}
