import { Migrator, type Kysely, type Migration } from 'kysely';
import { SynclineError } from '../errors/syncline-error.ts';
import type { Logger } from '../logging/logger.ts';

/** A backend's schema versions by name; applied in name order, each once. */
export type StoreMigrations = Readonly<Record<string, Migration>>;

/**
 * Applies pending migrations with Kysely's Migrator: versions are recorded in `syncline_migration`, and the
 * backend's adapter supplies the lock (a PostgreSQL advisory lock; SQLite's `BEGIN IMMEDIATE`), so several
 * processes starting at once apply each version exactly once. Throws MIGRATION_FAILED naming the version.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: StoreMigrations,
  logger: Logger,
  schema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    migrationTableName: 'syncline_migration',
    migrationLockTableName: 'syncline_migration_lock',
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const result of results) {
    if (result.status === 'Success') logger.info({ migration: result.migrationName }, 'migration applied');
  }
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    throw new SynclineError(
      'MIGRATION_FAILED',
      `Database migration ${failed ?? '(setup)'} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { migration: failed ?? null } },
    );
  }
}
