import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from './core-tables.ts';

/**
 * Schema version 0005 for both backends: each notification carries its own delivery to `SYNCLINE_NOTIFY_URL`
 * (B6.6), so the notification table is the durable queue — a restart resumes what was not delivered, and a
 * claim (`delivery_claim` + `delivery_claimed_until`) keeps two processes from sending one notification at once.
 * Existing notifications get no delivery (`delivery_status` null): they were written before anything was to be
 * sent, and sending them now would flood the receiver with old news.
 */
export async function addNotificationDeliveryColumns(db: Kysely<any>, t: ColumnTypes): Promise<void> {
  const columns: [string, 'text' | ColumnTypes['timestamp']][] = [
    // null (not to be sent), pending, delivered or failed
    ['delivery_status', 'text'],
    ['delivery_next_at', t.timestamp],
    ['delivery_error', 'text'],
    ['delivered_at', t.timestamp],
    ['delivery_claim', 'text'],
    ['delivery_claimed_until', t.timestamp],
  ];
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const [name, type] of columns)
    await db.schema.alterTable('notifications').addColumn(name, type).execute();
  await db.schema
    .alterTable('notifications')
    .addColumn('delivery_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Partial: the notifier polls for due deliveries; delivered and never-sent notifications need no entry.
  await sql`create index notifications_delivery_due on notifications (delivery_next_at)
    where delivery_status = 'pending'`.execute(db);
}
