import type { ColumnType, Generated } from 'kysely';

/**
 * The tables as Kysely sees them, shared by both backends (their DDL is in sqlite/sqlite-migrations.ts and
 * postgres/postgres-migrations.ts and must match these names). Values cross the boundary in the lowest common
 * form and the row mappers (row-mappers.ts) normalise what comes back:
 * - JSON objects are written as JSON text; SQLite returns text, PostgreSQL (jsonb) an object.
 * - Timestamps are written as ISO strings; SQLite returns the text, PostgreSQL (timestamptz) a Date.
 * - Booleans are written as booleans (the SQLite driver binds 1/0); SQLite returns 0/1.
 * - Scalar person values (bases, conflicts) are JSON text on both, so a stored string never looks like JSON.
 */
type Json = ColumnType<unknown, string, string>;
type Timestamp = ColumnType<string | Date, string, string>;
type Bool = ColumnType<boolean | number, boolean, boolean>;
/** bigint/integer columns: pg returns int8 as a string, SQLite as a number. */
type Count = ColumnType<number | string, number, number>;

export interface PersonsTable {
  id: string;
  /** lower(trim(email)) computed in JS, so both backends agree on case folding. */
  email_norm: string | null;
  crm_type: string | null;
  /** fields.crmAccountId, so an account change finds its persons (B1.4) without scanning JSON. */
  crm_account_id: string | null;
  fields: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PersonChangesTable {
  seq: Generated<number | string>;
  person_id: string;
  origin: string;
  kind: string;
  /** JSON array of the changed field names. */
  fields: string;
  at: Timestamp;
}

export interface PersonFieldsTable {
  name: string;
  type: string;
  source: string;
  crm: Json;
  created_at: Timestamp;
}

export interface PersonAliasesTable {
  from_id: string;
  to_id: string;
  at: Timestamp;
}

export interface ActivitiesTable {
  id: string;
  person_id: string;
  type: string;
  at: Timestamp;
  attributes: Json;
}

export interface CrmMirrorTable {
  entity: string;
  id: string;
  attributes: Json;
  deleted: Bool;
  updated_at: Timestamp;
}

export interface OpportunityContactRolesTable {
  opportunity_id: string;
  contact_id: string;
  person_id: string | null;
  role: string | null;
  updated_at: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: Timestamp;
}

export interface CrmLinksTable {
  entity: string;
  crm_id: string;
  person_id: string;
  state: string;
  etag: string | null;
  version: string | null;
  linked_at: Timestamp;
  updated_at: Timestamp;
}

/** The bases of one linked record (B4.1): `bases` is the JSON text of `{ field: value }` (migration 0003). */
export interface RecordBasesTable {
  entity: string;
  crm_id: string;
  bases: string;
  updated_at: Timestamp;
}

export interface SyncCursorsTable {
  name: string;
  value: string;
  updated_at: Timestamp;
}

/** Per-person markers (migration 0004): deleted with the person (foreign key, on delete cascade). */
export interface PersonMarkersTable {
  person_id: string;
  /** One of `markerKinds` (marker-store.ts). */
  kind: string;
  value: string;
  updated_at: Timestamp;
}

export interface SyncFieldsTable {
  entity: string;
  attribute: string;
  person_field: string | null;
  type: string;
  access: Json;
  selected: Bool;
  state: string;
  state_reason: string | null;
  policy: string | null;
  metadata: ColumnType<unknown, string | null, string | null>;
  updated_at: Timestamp;
}

export interface SyncErrorsTable {
  id: string;
  fingerprint: string;
  entity: string;
  crm_id: string | null;
  person_id: string | null;
  direction: string;
  operation: string;
  code: string;
  message: string;
  status: string;
  first_seen: Timestamp;
  last_seen: Timestamp;
  count: Count;
}

export interface SyncConflictsTable {
  id: string;
  person_id: string;
  entity: string;
  crm_id: string;
  field: string;
  base_value: string;
  marketing_value: string;
  crm_value: string;
  winner: string;
  at: Timestamp;
}

export interface SyncPassesTable {
  id: string;
  trigger: string;
  status: string;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  counts: Json;
  error: string | null;
}

export interface SyncThroughputTable {
  entity: string;
  direction: string;
  /** The minute the records were synced in, ISO with seconds and milliseconds zeroed. */
  minute: string;
  count: Count;
}

export interface InitialLoadProgressTable {
  entity: string;
  processed: Count;
  total: Count | null;
  total_counted_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  type: string;
  message: string;
  details: Json;
  at: Timestamp;
  read_at: Timestamp | null;
  /** Migration 0005 (B6.6): null = not to be sent; pending, delivered or failed. */
  delivery_status: string | null;
  delivery_attempts: ColumnType<number | string, number | undefined, number>;
  delivery_next_at: Timestamp | null;
  delivery_error: string | null;
  delivered_at: Timestamp | null;
  /** The token of the process that is sending it, until `delivery_claimed_until`. */
  delivery_claim: string | null;
  delivery_claimed_until: Timestamp | null;
}

export interface BackfillJobsTable {
  id: string;
  entity: string;
  attributes: Json;
  status: string;
  processed: Count;
  total: Count | null;
  position: string | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface CampaignsTable {
  id: string;
  name: string;
  enabled: Bool;
  trigger: Json;
  filters: Json;
  steps: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CampaignRunsTable {
  id: string;
  campaign_id: string;
  person_id: string;
  status: string;
  results: Json;
  error: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface PendingPushesTable {
  entity: string;
  crm_id: string;
  person_id: string;
  /** JSON array of attributes to push even when they equal their base; null = every differing field. */
  fields: string | null;
  /** Bumped by every mark, so a push clears only the mark it read (a newer edit stays pending). */
  generation: Count;
  since: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  persons: PersonsTable;
  person_changes: PersonChangesTable;
  person_fields: PersonFieldsTable;
  person_aliases: PersonAliasesTable;
  activities: ActivitiesTable;
  crm_mirror: CrmMirrorTable;
  opportunity_contact_roles: OpportunityContactRolesTable;
  settings: SettingsTable;
  crm_links: CrmLinksTable;
  record_bases: RecordBasesTable;
  sync_cursors: SyncCursorsTable;
  sync_fields: SyncFieldsTable;
  sync_errors: SyncErrorsTable;
  sync_conflicts: SyncConflictsTable;
  sync_passes: SyncPassesTable;
  sync_throughput: SyncThroughputTable;
  initial_load_progress: InitialLoadProgressTable;
  notifications: NotificationsTable;
  backfill_jobs: BackfillJobsTable;
  campaigns: CampaignsTable;
  campaign_runs: CampaignRunsTable;
  pending_pushes: PendingPushesTable;
  person_markers: PersonMarkersTable;
}
