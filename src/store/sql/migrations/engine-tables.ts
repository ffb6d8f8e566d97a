import type { Kysely } from 'kysely';
import type { ColumnTypes } from './core-tables.ts';

/**
 * Schema version 0002 for both backends: what the sync engine added on top of the first schema —
 * `persons.crm_account_id` (persons of an account, B1.4) and the pending-push outbox (B2.4: a decision to
 * write the CRM survives a crash because it commits with the page that made it).
 */
export async function createEngineTables(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  const s = db.schema;
  await s.alterTable('persons').addColumn('crm_account_id', 'text').execute();
  await s.createIndex('persons_crm_account_id').on('persons').columns(['crm_account_id', 'id']).execute();
  await s
    .createTable('pending_pushes')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('fields', 'text')
    .addColumn('generation', t.bigint, (c) => c.notNull())
    .addColumn('since', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('pending_pushes_pk', ['entity', 'crm_id'])
    .execute();
  await s
    .createIndex('pending_pushes_since')
    .on('pending_pushes')
    .columns(['since', 'entity', 'crm_id'])
    .execute();
}
