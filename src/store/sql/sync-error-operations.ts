import { createHash } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { decodeValue, encodeValue, iso, isPlausibleKey, newId, nowIso, num } from './row-values.ts';
import type { SyncConflictsTable, SyncErrorsTable } from './schema.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type {
  ConflictRecord,
  RunLogStore,
  SyncDirection,
  SyncErrorInput,
  SyncErrorRecord,
  SyncErrorStatus,
} from '../run-log-store.ts';

const errorStatuses: readonly SyncErrorStatus[] = ['open', 'retry', 'resolved'];

/** What makes two failures "the same error" (B6.1): every descriptive field, hashed to a fixed-size key. */
export function errorFingerprint(error: SyncErrorInput): string {
  const key = [
    error.entity,
    error.crmId,
    error.personId,
    error.direction,
    error.operation,
    error.code,
    error.message,
  ];
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

/** Sync errors, one row per distinct error (B6.1), and the conflict log (B4.3). */
export function syncErrorOperations(
  ctx: StoreContext,
): Pick<
  RunLogStore,
  | 'recordSyncError'
  | 'getSyncError'
  | 'listSyncErrors'
  | 'setSyncErrorStatus'
  | 'resolveSyncErrorsOf'
  | 'pruneSyncErrors'
  | 'countSyncErrors'
  | 'recordConflict'
  | 'listConflicts'
> {
  return {
    async recordSyncError(input) {
      const fingerprint = errorFingerprint(input);
      const now = nowIso();
      return atomically(ctx, async (tx) => {
        await tx.backend.lockKey(tx.db, `sync-error:${fingerprint}`);
        const existing = await tx.db
          .selectFrom('sync_errors')
          .selectAll()
          .where('fingerprint', '=', fingerprint)
          .executeTakeFirst();
        if (existing === undefined) {
          const row = {
            id: newId(),
            fingerprint,
            entity: input.entity,
            crm_id: input.crmId,
            person_id: input.personId,
            direction: input.direction,
            operation: input.operation,
            code: input.code,
            message: input.message,
            status: 'open',
            first_seen: now,
            last_seen: now,
            count: 1,
          };
          await tx.db.insertInto('sync_errors').values(row).execute();
          return { error: toSyncError(row), isNew: true };
        }
        const updated = { ...existing, status: 'open', last_seen: now, count: num(existing.count) + 1 };
        await tx.db
          .updateTable('sync_errors')
          .set({ status: updated.status, last_seen: now, count: updated.count })
          .where('id', '=', existing.id)
          .execute();
        return { error: toSyncError(updated), isNew: existing.status === 'resolved' };
      });
    },

    async getSyncError(id) {
      if (!isPlausibleKey(id)) return undefined;
      const row = await ctx.db.selectFrom('sync_errors').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toSyncError(row);
    },

    async listSyncErrors(query) {
      checkLimit(query.limit);
      const statuses = query.status ?? ['open', 'retry'];
      if (statuses.length === 0) return { items: [], nextCursor: null };
      let select = ctx.db.selectFrom('sync_errors').selectAll().where('status', 'in', statuses);
      if (query.entity !== undefined) select = select.where('entity', '=', query.entity);
      if (query.q !== undefined && query.q !== '') {
        // Explicit ESCAPE: SQLite's LIKE has no default escape character.
        const pattern = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        select = select.where(
          sql<boolean>`(lower(code) like ${pattern} escape '\\' or lower(message) like ${pattern} escape '\\'
            or lower(coalesce(crm_id, '')) like ${pattern} escape '\\')`,
        );
      }
      if (query.cursor !== undefined) {
        const [lastSeen, id] = decodeCursor(query.cursor, 'sync-errors', ['string', 'string']) as [
          string,
          string,
        ];
        select = select.where((eb) =>
          eb.or([
            eb('last_seen', '<', lastSeen),
            eb.and([eb('last_seen', '=', lastSeen), eb('id', '<', id)]),
          ]),
        );
      }
      const rows = await select
        .orderBy('last_seen', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, toSyncError, (row) =>
        encodeCursor('sync-errors', [iso(row.last_seen), row.id]),
      );
    },

    async setSyncErrorStatus(id, status) {
      if (!errorStatuses.includes(status)) {
        throw new SynclineError('VALIDATION_FAILED', `status must be one of ${errorStatuses.join(', ')}.`);
      }
      if (!isPlausibleKey(id)) return false;
      const result = await ctx.db
        .updateTable('sync_errors')
        .set({ status })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async resolveSyncErrorsOf(entity, crmId) {
      const result = await ctx.db
        .updateTable('sync_errors')
        .set({ status: 'resolved' })
        .where('entity', '=', entity)
        .where('crm_id', '=', crmId)
        .where('status', '!=', 'resolved')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async pruneSyncErrors(before) {
      const result = await ctx.db
        .deleteFrom('sync_errors')
        .where('last_seen', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async countSyncErrors() {
      const rows = await ctx.db
        .selectFrom('sync_errors')
        .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
        .groupBy('status')
        .execute();
      let open = 0;
      let total = 0;
      for (const row of rows) {
        total += num(row.n);
        if (row.status !== 'resolved') open += num(row.n);
      }
      return { open, total };
    },

    async recordConflict(conflict) {
      const record: ConflictRecord = { ...conflict, id: newId(), at: nowIso() };
      await ctx.db
        .insertInto('sync_conflicts')
        .values({
          id: record.id,
          person_id: record.personId,
          entity: record.entity,
          crm_id: record.crmId,
          field: record.field,
          base_value: encodeValue(record.baseValue),
          marketing_value: encodeValue(record.marketingValue),
          crm_value: encodeValue(record.crmValue),
          winner: record.winner,
          at: record.at,
        })
        .execute();
      return record;
    },

    async listConflicts(query) {
      checkLimit(query.limit);
      let select = ctx.db.selectFrom('sync_conflicts').selectAll();
      if (query.personId !== undefined) select = select.where('person_id', '=', query.personId);
      if (query.cursor !== undefined) {
        const [id] = decodeCursor(query.cursor, 'conflicts', ['string']) as [string];
        select = select.where('id', '<', id);
      }
      const rows = await select
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, toConflict, (row) => encodeCursor('conflicts', [row.id]));
    },
  };
}

function toSyncError(row: Selectable<SyncErrorsTable>): SyncErrorRecord {
  return {
    id: row.id,
    entity: row.entity,
    crmId: row.crm_id,
    personId: row.person_id,
    direction: row.direction as SyncDirection,
    operation: row.operation,
    code: row.code,
    message: row.message,
    status: row.status as SyncErrorStatus,
    firstSeen: iso(row.first_seen),
    lastSeen: iso(row.last_seen),
    count: num(row.count),
  };
}

function toConflict(row: Selectable<SyncConflictsTable>): ConflictRecord {
  return {
    id: row.id,
    personId: row.person_id,
    entity: row.entity,
    crmId: row.crm_id,
    field: row.field,
    baseValue: decodeValue(row.base_value),
    marketingValue: decodeValue(row.marketing_value),
    crmValue: decodeValue(row.crm_value),
    winner: row.winner as 'marketing' | 'crm',
    at: iso(row.at),
  };
}
