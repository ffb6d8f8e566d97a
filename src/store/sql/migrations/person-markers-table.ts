import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from './core-tables.ts';

/** The per-person cursors that migration 0004 moves, by name prefix, with the marker kind each becomes. */
const movedCursors: readonly { prefix: string; kind: string }[] = [
  { prefix: 'flows:qualify:', kind: 'qualify' },
  { prefix: 'flows:seen:', kind: 'campaign-seen' },
];

/**
 * Schema version 0004 for both backends: per-person markers get a table of their own. They used to be named
 * cursors (`flows:qualify:<personId>`, `flows:seen:<personId>`), which nothing deleted with the person, so
 * every deleted or merged-away person left rows behind and the cursor table mixed feed positions with
 * per-person state. Here the foreign key deletes a person's markers with it. Existing cursors are moved; rows
 * of persons that no longer exist are dropped (they were orphans already). The SQL is the same on both
 * backends (`substr`, `length`, `like` and `exists` mean the same in SQLite and PostgreSQL).
 */
export async function createPersonMarkersTable(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('person_markers')
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    // Leads with person_id, so it also serves the cascade's lookup by person.
    .addPrimaryKeyConstraint('person_markers_pk', ['person_id', 'kind'])
    .execute();
  for (const { prefix, kind } of movedCursors) {
    const pattern = `${prefix}%`;
    const personId = sql`substr(c.name, ${prefix.length + 1})`;
    await sql`insert into person_markers (person_id, kind, value, updated_at)
      select ${personId}, ${kind}, c.value, c.updated_at from sync_cursors c
      where c.name like ${pattern} and exists (select 1 from persons p where p.id = ${personId})`.execute(db);
    await sql`delete from sync_cursors where name like ${pattern}`.execute(db);
  }
}
