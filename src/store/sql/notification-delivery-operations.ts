import { sql, type ExpressionBuilder } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { NotificationDeliveryStore } from '../notification-delivery-store.ts';
import { toNotification } from './pass-operations.ts';
import { isPlausibleKey, newId, nowIso } from './row-values.ts';
import type { Database } from './schema.ts';
import type { StoreContext } from './store-context.ts';

/** Most notifications one claim takes. */
const maxClaim = 100;

/**
 * The notification delivery queue (B6.6): claims are compare-and-set updates — the row is taken only while it
 * is still pending and unclaimed (or its claim expired) — so of two processes that read the same due row, the
 * database lets exactly one update it (SQLite has one writer; PostgreSQL re-checks the condition on the row it
 * locked). The literal `'pending'` lets both planners use the partial index of migration 0005.
 */
export function notificationDeliveryOperations(ctx: StoreContext): NotificationDeliveryStore {
  return {
    async claimDueNotifications({ limit, leaseMs }) {
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxClaim) {
        throw new SynclineError('VALIDATION_FAILED', `A claim takes 1–${maxClaim} notifications.`);
      }
      if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) {
        throw new SynclineError('VALIDATION_FAILED', 'A claim lease is a whole number of milliseconds ≥ 1.');
      }
      const now = nowIso();
      const until = new Date(Date.parse(now) + leaseMs).toISOString();
      const claimable = (eb: ExpressionBuilder<Database, 'notifications'>) =>
        eb.and([
          sql<boolean>`delivery_status = 'pending'`,
          eb.or([eb('delivery_claimed_until', 'is', null), eb('delivery_claimed_until', '<=', now)]),
        ]);
      const due = await ctx.db
        .selectFrom('notifications')
        .select('id')
        .where(claimable)
        .where('delivery_next_at', '<=', now)
        .orderBy('delivery_next_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      const claims = [];
      for (const { id } of due) {
        const token = newId();
        const taken = await ctx.db
          .updateTable('notifications')
          .set({ delivery_claim: token, delivery_claimed_until: until })
          .where('id', '=', id)
          .where(claimable)
          .executeTakeFirst();
        // Another process claimed it between the read and this update.
        if (taken.numUpdatedRows === 0n) continue;
        const row = await ctx.db
          .selectFrom('notifications')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        if (row !== undefined) claims.push({ notification: toNotification(row), token });
      }
      return claims;
    },

    async recordDeliveryAttempt(claim, outcome) {
      if (!isPlausibleKey(claim.notification.id) || !isPlausibleKey(claim.token)) return false;
      const now = nowIso();
      const result = await ctx.db
        .updateTable('notifications')
        .set({
          delivery_attempts: sql<number>`delivery_attempts + 1`,
          delivery_claim: null,
          delivery_claimed_until: null,
          ...(outcome.status === 'delivered'
            ? { delivery_status: 'delivered', delivery_next_at: null, delivered_at: now }
            : outcome.status === 'retry'
              ? {
                  delivery_status: 'pending',
                  delivery_next_at: outcome.nextAttemptAt,
                  delivery_error: outcome.error,
                }
              : { delivery_status: 'failed', delivery_next_at: null, delivery_error: outcome.error }),
        })
        .where('id', '=', claim.notification.id)
        .where('delivery_claim', '=', claim.token)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
