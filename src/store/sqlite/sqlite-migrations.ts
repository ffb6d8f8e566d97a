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
 * SQLite schema versions, applied in name order by store-migrator.ts inside one `BEGIN IMMEDIATE`
 * transaction (which also serialises concurrent migrators across processes). A released migration is never
 * edited; add a new one.
 */
export const sqliteMigrations: StoreMigrations = {
  '0001_initial': {
    async up(db) {
      await createCoreTables(db, { json: 'text', timestamp: 'text', boolean: 'integer', bigint: 'integer' });
      // The change feed (see sqlite-backend.ts). SQLite has one writer at a time, so commit order is
      // `seq` order; AUTOINCREMENT keeps a pruned tail's numbers from being reused.
      await sql`create table person_changes (
        seq integer primary key autoincrement,
        person_id text not null,
        origin text not null,
        kind text not null,
        fields text not null,
        at text not null
      )`.execute(db);
    },
  },
  '0002_engine_outbox': {
    async up(db) {
      await createEngineTables(db, {
        json: 'text',
        timestamp: 'text',
        boolean: 'integer',
        bigint: 'integer',
      });
    },
  },
  '0003_record_bases': {
    async up(db) {
      await createRecordBasesTable(db, {
        json: 'text',
        timestamp: 'text',
        boolean: 'integer',
        bigint: 'integer',
      });
      await sql`insert into record_bases (entity, crm_id, bases, updated_at)
        select entity, crm_id, json_group_object(field, json(value)), max(updated_at)
        from field_bases group by entity, crm_id`.execute(db);
      await db.schema.dropTable('field_bases').execute();
    },
  },
  '0004_person_markers': {
    async up(db) {
      await createPersonMarkersTable(db, {
        json: 'text',
        timestamp: 'text',
        boolean: 'integer',
        bigint: 'integer',
      });
    },
  },
  '0005_notification_delivery': {
    async up(db) {
      await addNotificationDeliveryColumns(db, {
        json: 'text',
        timestamp: 'text',
        boolean: 'integer',
        bigint: 'integer',
      });
    },
  },
  '0006_initial_load_progress': {
    async up(db) {
      await createInitialLoadProgressTable(db, {
        json: 'text',
        timestamp: 'text',
        boolean: 'integer',
        bigint: 'integer',
      });
    },
  },
  '0007_campaign_runs_person': {
    async up(db) {
      await createCampaignRunsPersonIndex(db);
    },
  },
};
