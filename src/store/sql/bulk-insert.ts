import type { Database } from './schema.ts';

/**
 * A multi-row insert the initial load runs for every record (issue 17): persons, their change-feed entries,
 * links, bases and activities. The backends turn it into SQL text once per shape and reuse it
 * (`StoreBackend.insertRows`) instead of building a Kysely query tree per call — with 1,000-row inserts that
 * tree (parse, visit, compile, freeze per value) was 5–8 % of the engine's CPU during an initial load.
 *
 * The columns are written as given; values take the form of schema.ts (JSON as text, timestamps as ISO text).
 * `onConflict` is the same on both backends (`excluded.…` exists in both dialects).
 */
export interface BulkInsert {
  readonly table: keyof Database;
  readonly columns: readonly string[];
  /** PostgreSQL type of each column: its value is cast to it from the JSON the rows travel in. */
  readonly pgTypes: readonly string[];
  readonly onConflict?: string;
}

export const personInsert: BulkInsert = {
  table: 'persons',
  columns: ['id', 'email_norm', 'crm_type', 'crm_account_id', 'fields', 'created_at', 'updated_at'],
  pgTypes: ['text', 'text', 'text', 'text', 'jsonb', 'timestamptz', 'timestamptz'],
};

export const personChangeInsert: BulkInsert = {
  table: 'person_changes',
  columns: ['person_id', 'origin', 'kind', 'fields', 'at'],
  pgTypes: ['text', 'text', 'text', 'text', 'timestamptz'],
};

export const activityInsert: BulkInsert = {
  table: 'activities',
  columns: ['id', 'person_id', 'type', 'at', 'attributes'],
  pgTypes: ['text', 'text', 'text', 'timestamptz', 'jsonb'],
};

/** Re-linking the record to another person is a new link (`linked_at` moves), as in `upsertLink`. */
export const linkUpsert: BulkInsert = {
  table: 'crm_links',
  columns: ['entity', 'crm_id', 'person_id', 'state', 'etag', 'version', 'linked_at', 'updated_at'],
  pgTypes: ['text', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'timestamptz'],
  onConflict:
    'on conflict (entity, crm_id) do update set ' +
    'linked_at = case when crm_links.person_id = excluded.person_id then crm_links.linked_at else excluded.linked_at end, ' +
    'person_id = excluded.person_id, state = excluded.state, etag = excluded.etag, ' +
    'version = excluded.version, updated_at = excluded.updated_at',
};

export const basesUpsert: BulkInsert = {
  table: 'record_bases',
  columns: ['entity', 'crm_id', 'bases', 'updated_at'],
  pgTypes: ['text', 'text', 'text', 'timestamptz'],
  onConflict:
    'on conflict (entity, crm_id) do update set bases = excluded.bases, updated_at = excluded.updated_at',
};
