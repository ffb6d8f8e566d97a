import type { Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { iso, isoOrNull, isPlausibleKey, json, newId, nowIso, num } from './row-values.ts';
import type { NotificationsTable, SyncPassesTable } from './schema.ts';
import type { StoreContext } from './store-context.ts';
import type {
  NotificationDeliveryStatus,
  NotificationRecord,
  PassRecord,
  PassStatus,
  RunLogStore,
} from '../run-log-store.ts';

/** The minute bucket of a timestamp (B6.5 counts records synced per minute). */
const minuteOf = (at: string): string => `${iso(at).slice(0, 16)}:00.000Z`;

/** Pass history and throughput (B2.1, B6.5), notifications (B6.6). */
export function passOperations(
  ctx: StoreContext,
): Pick<
  RunLogStore,
  | 'startPass'
  | 'finishPass'
  | 'abortRunningPasses'
  | 'listPasses'
  | 'getPassSummary'
  | 'addSyncedCount'
  | 'countSynced'
  | 'pruneSyncedCounts'
  | 'addNotification'
  | 'listNotifications'
  | 'markNotificationRead'
> {
  return {
    async startPass(trigger) {
      const row = {
        id: newId(),
        trigger,
        status: 'running',
        started_at: nowIso(),
        finished_at: null,
        counts: {},
        error: null,
      };
      await ctx.db
        .insertInto('sync_passes')
        .values({ ...row, counts: JSON.stringify(row.counts) })
        .execute();
      return toPass(row);
    },

    async finishPass(id, outcome) {
      if (!['succeeded', 'failed', 'aborted'].includes(outcome.status)) {
        throw new SynclineError('VALIDATION_FAILED', 'A pass finishes as succeeded, failed or aborted.');
      }
      if (!isPlausibleKey(id)) return false;
      const result = await ctx.db
        .updateTable('sync_passes')
        .set({
          status: outcome.status,
          finished_at: nowIso(),
          counts: JSON.stringify(outcome.counts),
          error: outcome.error,
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async abortRunningPasses(error) {
      const result = await ctx.db
        .updateTable('sync_passes')
        .set({ status: 'aborted', finished_at: nowIso(), error })
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async listPasses(page) {
      checkLimit(page.limit);
      let select = ctx.db.selectFrom('sync_passes').selectAll();
      if (page.cursor !== undefined) {
        const [id] = decodeCursor(page.cursor, 'passes', ['string']) as [string];
        select = select.where('id', '<', id);
      }
      const rows = await select
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return toPage(rows, page.limit, toPass, (row) => encodeCursor('passes', [row.id]));
    },

    async getPassSummary() {
      const totals = await ctx.db
        .selectFrom('sync_passes')
        .select((eb) => [
          eb.fn.count<number | string>('finished_at').as('completed'),
          eb.fn.max('started_at').as('last_started'),
          eb.fn.max('finished_at').as('last_finished'),
        ])
        .executeTakeFirstOrThrow();
      const last = await ctx.db
        .selectFrom('sync_passes')
        .select('error')
        .where('finished_at', 'is not', null)
        .orderBy('finished_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return {
        completed: num(totals.completed),
        lastStartedAt: isoOrNull(totals.last_started),
        lastFinishedAt: isoOrNull(totals.last_finished),
        lastError: last?.error ?? null,
      };
    },

    async addSyncedCount(entity, direction, count, at = nowIso()) {
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new SynclineError('VALIDATION_FAILED', 'A synced count is a whole number ≥ 0.');
      }
      if (count === 0) return;
      await ctx.db
        .insertInto('sync_throughput')
        .values({ entity, direction, minute: minuteOf(at), count })
        .onConflict((conflict) =>
          conflict
            .columns(['entity', 'direction', 'minute'])
            .doUpdateSet((eb) => ({ count: eb('sync_throughput.count', '+', eb.ref('excluded.count')) })),
        )
        .execute();
    },

    async countSynced(entity, direction, since) {
      const row = await ctx.db
        .selectFrom('sync_throughput')
        .select((eb) => eb.fn.sum<number | string | null>('count').as('total'))
        .where('entity', '=', entity)
        .where('direction', '=', direction)
        .where('minute', '>=', minuteOf(since))
        .executeTakeFirst();
      return num(row?.total ?? 0);
    },

    async pruneSyncedCounts(before) {
      const result = await ctx.db
        .deleteFrom('sync_throughput')
        .where('minute', '<', minuteOf(before))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async addNotification(notification) {
      const at = nowIso();
      const record: NotificationRecord = {
        id: newId(),
        type: notification.type,
        message: notification.message,
        details: { ...notification.details },
        at,
        readAt: null,
        delivery:
          notification.deliver === true
            ? { status: 'pending', attempts: 0, nextAttemptAt: at, lastError: null, deliveredAt: null }
            : null,
      };
      await ctx.db
        .insertInto('notifications')
        .values({
          id: record.id,
          type: record.type,
          message: record.message,
          details: JSON.stringify(record.details),
          at: record.at,
          read_at: null,
          delivery_status: record.delivery?.status ?? null,
          delivery_next_at: record.delivery?.nextAttemptAt ?? null,
        })
        .execute();
      return record;
    },

    async listNotifications(page) {
      checkLimit(page.limit);
      let select = ctx.db.selectFrom('notifications').selectAll();
      if (page.cursor !== undefined) {
        const [id] = decodeCursor(page.cursor, 'notifications', ['string']) as [string];
        select = select.where('id', '<', id);
      }
      const rows = await select
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return toPage(rows, page.limit, toNotification, (row) => encodeCursor('notifications', [row.id]));
    },

    async markNotificationRead(id) {
      if (!isPlausibleKey(id)) return false;
      const result = await ctx.db
        .updateTable('notifications')
        .set({ read_at: nowIso() })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

function toPass(row: Selectable<SyncPassesTable>): PassRecord {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status as PassStatus,
    startedAt: iso(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
    counts: json<Record<string, number>>(row.counts),
    error: row.error,
  };
}

export function toNotification(row: Selectable<NotificationsTable>): NotificationRecord {
  return {
    id: row.id,
    type: row.type,
    message: row.message,
    details: json<Record<string, unknown>>(row.details),
    at: iso(row.at),
    readAt: isoOrNull(row.read_at),
    delivery:
      row.delivery_status === null
        ? null
        : {
            status: row.delivery_status as NotificationDeliveryStatus,
            attempts: num(row.delivery_attempts),
            nextAttemptAt: row.delivery_status === 'pending' ? isoOrNull(row.delivery_next_at) : null,
            lastError: row.delivery_error,
            deliveredAt: isoOrNull(row.delivered_at),
          },
  };
}
