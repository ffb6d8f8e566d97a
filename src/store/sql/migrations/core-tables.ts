import { sql, type Kysely } from 'kysely';

/** The column types that differ between the backends; everything else in the schema is identical. */
export interface ColumnTypes {
  readonly json: 'jsonb' | 'text';
  readonly timestamp: 'timestamptz' | 'text';
  readonly boolean: 'boolean' | 'integer';
  readonly bigint: 'bigint' | 'integer';
}

/**
 * Creates every table of the first schema version except the change feed (whose shape is backend-specific:
 * see sqlite-migrations.ts and postgres-migrations.ts). Names match schema.ts. Timestamps are written by the
 * application as ISO strings, ids are application-generated UUIDv7 (time-ordered), so both backends store
 * and sort the same values.
 */
export async function createCoreTables(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  const ts = t.timestamp;
  const s = db.schema;

  await s
    .createTable('persons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_norm', 'text')
    .addColumn('crm_type', 'text')
    .addColumn('fields', t.json, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  // Partial: most lookups are by email, and persons without one need no entry.
  await s
    .createIndex('persons_email_norm')
    .on('persons')
    .column('email_norm')
    .where(sql.ref('email_norm'), 'is not', null)
    .execute();
  await s.createIndex('persons_crm_type').on('persons').columns(['crm_type', 'id']).execute();
  await s.createIndex('persons_updated_at').on('persons').column('updated_at').execute();

  await s
    .createTable('person_fields')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('crm', t.json, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await s
    .createTable('person_aliases')
    .addColumn('from_id', 'text', (c) => c.primaryKey())
    .addColumn('to_id', 'text', (c) => c.notNull())
    .addColumn('at', ts, (c) => c.notNull())
    .execute();
  await s
    .createTable('activities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', ts, (c) => c.notNull())
    .addColumn('attributes', t.json, (c) => c.notNull())
    .execute();
  await s
    .createIndex('activities_person_at')
    .on('activities')
    .columns(['person_id', 'at desc', 'id desc'])
    .execute();

  await s
    .createTable('crm_mirror')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('attributes', t.json, (c) => c.notNull())
    .addColumn('deleted', t.boolean, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_mirror_pk', ['entity', 'id'])
    .execute();
  await s
    .createTable('opportunity_contact_roles')
    .addColumn('opportunity_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text')
    .addColumn('role', 'text')
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('opportunity_contact_roles_pk', ['opportunity_id', 'contact_id'])
    .execute();
  await s
    .createIndex('opportunity_contact_roles_person')
    .on('opportunity_contact_roles')
    .column('person_id')
    .execute();
  await s
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await createSyncStateTables(db, t);
}

async function createSyncStateTables(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  const ts = t.timestamp;
  const s = db.schema;

  await s
    .createTable('crm_links')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('version', 'text')
    .addColumn('linked_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('crm_links_pk', ['entity', 'crm_id'])
    .execute();
  await s.createIndex('crm_links_person').on('crm_links').column('person_id').execute();
  // Bases belong to the linked record (B4.1); deleteLink and deletePerson remove them explicitly.
  await s
    .createTable('field_bases')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('field_bases_pk', ['entity', 'crm_id', 'field'])
    .execute();
  await s
    .createTable('sync_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await s
    .createTable('sync_fields')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('attribute', 'text', (c) => c.notNull())
    .addColumn('person_field', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('access', t.json, (c) => c.notNull())
    .addColumn('selected', t.boolean, (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_reason', 'text')
    .addColumn('policy', 'text')
    .addColumn('metadata', t.json)
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_fields_pk', ['entity', 'attribute'])
    .execute();
  // One row per distinct error (B6.1): the fingerprint is a hash of what makes errors "the same".
  await s
    .createTable('sync_errors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text')
    .addColumn('person_id', 'text')
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('first_seen', ts, (c) => c.notNull())
    .addColumn('last_seen', ts, (c) => c.notNull())
    .addColumn('count', t.bigint, (c) => c.notNull())
    .execute();
  await s
    .createIndex('sync_errors_last_seen')
    .on('sync_errors')
    .columns(['last_seen desc', 'id desc'])
    .execute();
  await s.createIndex('sync_errors_record').on('sync_errors').columns(['entity', 'crm_id']).execute();
  await s
    .createTable('sync_conflicts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('crm_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('base_value', 'text', (c) => c.notNull())
    .addColumn('marketing_value', 'text', (c) => c.notNull())
    .addColumn('crm_value', 'text', (c) => c.notNull())
    .addColumn('winner', 'text', (c) => c.notNull())
    .addColumn('at', ts, (c) => c.notNull())
    .execute();
  await s.createIndex('sync_conflicts_person').on('sync_conflicts').columns(['person_id', 'id']).execute();
  await s
    .createTable('sync_passes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', ts, (c) => c.notNull())
    .addColumn('finished_at', ts)
    .addColumn('counts', t.json, (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await s
    .createTable('sync_throughput')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('minute', 'text', (c) => c.notNull())
    .addColumn('count', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_throughput_pk', ['entity', 'direction', 'minute'])
    .execute();
  await s
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('details', t.json, (c) => c.notNull())
    .addColumn('at', ts, (c) => c.notNull())
    .addColumn('read_at', ts)
    .execute();
  await s
    .createTable('backfill_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('attributes', t.json, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('processed', t.bigint, (c) => c.notNull())
    .addColumn('total', t.bigint)
    .addColumn('position', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('finished_at', ts)
    .execute();
  await s
    .createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', t.boolean, (c) => c.notNull())
    .addColumn('trigger', t.json, (c) => c.notNull())
    .addColumn('filters', t.json, (c) => c.notNull())
    .addColumn('steps', t.json, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await s
    .createTable('campaign_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('results', t.json, (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('started_at', ts, (c) => c.notNull())
    .addColumn('finished_at', ts)
    .execute();
  await s.createIndex('campaign_runs_campaign').on('campaign_runs').columns(['campaign_id', 'id']).execute();
}
