import { sql, type Kysely } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { Logger } from '../../logging/logger.ts';
import type { MigrationStatus } from '../schema-store.ts';

/** One schema version. `up` runs inside the migration transaction. */
export interface StoreMigration {
  up(db: Kysely<any>): Promise<void>;
}

/** A backend's schema versions by name; applied in name order, each once. */
export type StoreMigrations = Readonly<Record<string, StoreMigration>>;

/** What one `migrate()` did: the versions it applied, in order (empty when the schema was up to date). */
export interface MigrationReport {
  readonly applied: readonly string[];
}

/**
 * Applies pending migrations: all of them in one transaction, after `lock` (a PostgreSQL advisory lock; on
 * SQLite the transaction's `BEGIN IMMEDIATE` is the lock), with every applied version recorded in
 * `syncline_migration`. So several processes starting at once apply each version exactly once, and a failed
 * version leaves the schema as it was. Throws MIGRATION_FAILED naming the version.
 *
 * Why not Kysely's Migrator: it introspects every table of every schema on each run (slow on a server with
 * many schemas) and fails when another schema is dropped at the same moment; this needs none of that.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: StoreMigrations,
  logger: Logger,
  lock: (trx: Kysely<any>) => Promise<void>,
): Promise<MigrationReport> {
  return db.transaction().execute(async (trx) => {
    await lock(trx);
    await sql`create table if not exists syncline_migration (
      name text primary key,
      applied_at text not null
    )`.execute(trx);
    const applied = new Set(
      (await sql<{ name: string }>`select name from syncline_migration`.execute(trx)).rows.map(
        (row) => row.name,
      ),
    );
    const report: { applied: string[] } = { applied: [] };
    for (const name of Object.keys(migrations).sort()) {
      if (applied.has(name)) continue;
      try {
        await migrations[name].up(trx);
      } catch (error) {
        throw new SynclineError(
          'MIGRATION_FAILED',
          `Database migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, details: { migration: name } },
        );
      }
      await sql`insert into syncline_migration (name, applied_at) values (${name}, ${new Date().toISOString()})`.execute(
        trx,
      );
      logger.info({ migration: name }, 'migration applied');
      report.applied.push(name);
    }
    return report;
  });
}

/**
 * Where the database stands against `migrations`, read without writing anything (for `GET /ready`, which an
 * orchestrator calls every few seconds): `tableExists` asks the backend's catalog whether
 * `syncline_migration` exists (a database no `migrate` ran on yet has none), then the applied names are read.
 */
export async function readMigrationStatus(
  db: Kysely<any>,
  migrations: StoreMigrations,
  tableExists: (db: Kysely<any>) => Promise<boolean>,
): Promise<MigrationStatus> {
  const applied = (await tableExists(db))
    ? (await sql<{ name: string }>`select name from syncline_migration`.execute(db)).rows.map(
        (row) => row.name,
      )
    : [];
  const known = new Set(applied);
  return {
    latest: applied.sort().at(-1),
    pending: Object.keys(migrations)
      .sort()
      .filter((name) => !known.has(name)),
  };
}
