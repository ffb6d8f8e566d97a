import type { Kysely } from 'kysely';
import type { ColumnTypes } from './core-tables.ts';

/**
 * Schema version for both backends (SQLite 0006, PostgreSQL 0007): initial-load progress per entity, so a
 * restart resumes the progress bar (B2.6, B6.5) — before, it was counted in memory and started from 0.
 */
export async function createInitialLoadProgressTable(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('initial_load_progress')
    .addColumn('entity', 'text', (c) => c.primaryKey())
    .addColumn('processed', t.bigint, (c) => c.notNull())
    .addColumn('total', t.bigint)
    .addColumn('total_counted_at', t.timestamp)
    .addColumn('finished_at', t.timestamp)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
}
