import type { Kysely } from 'kysely';
import type { ColumnTypes } from './core-tables.ts';

/**
 * Schema version 0003 for both backends: the bases of a linked record (B4.1) as one JSON document per record
 * (`{ field: value }`) instead of one row per field. An initial load writes about twenty bases per contact;
 * as rows that was the largest insert of the load and most of its memory (issue 7), as a document it is one
 * row per record. The backends' migrations copy `field_bases` over and drop it.
 */
export async function createRecordBasesTable(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('record_bases')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    // Text, not jsonb: values are compared exactly as written (a string never reads back as a number).
    .addColumn('bases', 'text', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('record_bases_pk', ['entity', 'crm_id'])
    .execute();
}
