import type { EngineLockProvider } from './engine-lock.ts';
import { sqliteEngineLock } from './sqlite/sqlite-engine-lock.ts';

/** The engine hold (B2.9) of a SQLite database: its file's sidecar lock. PostgreSQL uses leases (lease-table.ts). */
export function createEngineLock(config: { kind: 'sqlite'; path: string }): EngineLockProvider {
  return sqliteEngineLock(config.path);
}
