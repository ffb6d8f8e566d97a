import { sql } from 'kysely';
import { createCoreTables } from '../sql/migrations/core-tables.ts';
import { createEngineTables } from '../sql/migrations/engine-tables.ts';
import { createCampaignRunsPersonIndex } from '../sql/migrations/campaign-runs-person-index.ts';
import { addNotificationDeliveryColumns } from '../sql/migrations/notification-delivery-columns.ts';
import { createInitialLoadProgressTable } from '../sql/migrations/initial-load-progress-table.ts';
import { createPersonMarkersTable } from '../sql/migrations/person-markers-table.ts';
import { createRecordBasesTable } from '../sql/migrations/record-bases-table.ts';
import type { StoreMigrations } from '../sql/store-migrator.ts';

/**
 * PostgreSQL schema versions, applied in name order by store-migrator.ts in one transaction under an
 * advisory lock. A released migration is never edited; add a new one. Tables live in the connection's
 * `search_path` schema (`public` by default, one schema per test run).
 */
export const postgresMigrations: StoreMigrations = {
  '0001_initial': {
    async up(db) {
      await createCoreTables(db, {
        json: 'jsonb',
        timestamp: 'timestamptz',
        boolean: 'boolean',
        bigint: 'bigint',
      });
      // The change feed (see postgres-backend.ts): `xid` is the writing transaction's id, stamped by the
      // default, so readers can order by (xid, seq) and stop below the oldest writer still running.
      await sql`create table person_changes (
        seq bigint generated always as identity,
        xid xid8 not null default pg_current_xact_id(),
        person_id text not null,
        origin text not null,
        kind text not null,
        fields text not null,
        at timestamptz not null,
        primary key (xid, seq)
      )`.execute(db);
    },
  },
  '0002_engine_outbox': {
    async up(db) {
      await createEngineTables(db, {
        json: 'jsonb',
        timestamp: 'timestamptz',
        boolean: 'boolean',
        bigint: 'bigint',
      });
    },
  },
  '0003_record_bases': {
    async up(db) {
      await createRecordBasesTable(db, {
        json: 'jsonb',
        timestamp: 'timestamptz',
        boolean: 'boolean',
        bigint: 'bigint',
      });
      await sql`insert into record_bases (entity, crm_id, bases, updated_at)
        select entity, crm_id, jsonb_object_agg(field, value::jsonb)::text, max(updated_at)
        from field_bases group by entity, crm_id`.execute(db);
      await db.schema.dropTable('field_bases').execute();
    },
  },
  '0004_person_markers': {
    async up(db) {
      await createPersonMarkersTable(db, {
        json: 'jsonb',
        timestamp: 'timestamptz',
        boolean: 'boolean',
        bigint: 'bigint',
      });
    },
  },
  '0005_notification_delivery': {
    async up(db) {
      await addNotificationDeliveryColumns(db, {
        json: 'jsonb',
        timestamp: 'timestamptz',
        boolean: 'boolean',
        bigint: 'bigint',
      });
    },
  },
  '0006_cluster_leases': {
    async up(db) {
      // B2.9: the cluster's leases (one row per unit of sync work, kept forever: the epoch only grows) and its
      // replicas (a heartbeat row per running process). Times are the database's clock, never a replica's,
      // so replicas with skewed clocks agree on who holds what. PostgreSQL only: SQLite runs one engine.
      await sql`create table sync_leases (
        name text primary key,
        holder text,
        holder_token text,
        epoch bigint not null default 0,
        acquired_at timestamptz,
        expires_at timestamptz
      )`.execute(db);
      await sql`create table sync_replicas (
        token text primary key,
        id text not null,
        host text not null,
        pid integer not null,
        started_at timestamptz not null,
        last_seen_at timestamptz not null
      )`.execute(db);
    },
  },
  '0007_initial_load_progress': {
    async up(db) {
      await createInitialLoadProgressTable(db, {
        json: 'jsonb',
        timestamp: 'timestamptz',
        boolean: 'boolean',
        bigint: 'bigint',
      });
    },
  },
  '0008_campaign_runs_person': {
    async up(db) {
      await createCampaignRunsPersonIndex(db);
    },
  },
  '0009_sync_leases_epoch_key': {
    async up(db) {
      // B2.9: makes `epoch` a key column of `sync_leases`, so that the fence can lock the row `for key share`
      // (postgres-backend.ts `checkFence`). PostgreSQL takes `for update` for an update that changes a column
      // of a plain unique index and `for no key update` for any other: a takeover (it changes the epoch) still
      // waits for every fenced transaction in flight, while the holder's renewal (only `expires_at`) no longer
      // does. With `for share` a renewal waited for the holder's own page transactions: seen in S1, and past the
      // lease statements' 4-s timeout a holder could lose a lease nobody else wanted. PostgreSQL documents the
      // key-column rule with "this may change in the future": tests/cluster/fence.test.ts fails without it.
      await sql`create unique index sync_leases_name_epoch on sync_leases (name, epoch)`.execute(db);
    },
  },
};
