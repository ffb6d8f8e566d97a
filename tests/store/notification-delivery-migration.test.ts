import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { createTestDatabase, executeRaw, storeKinds } from '../helpers/test-store.ts';

const deliveryColumns = [
  'delivery_status',
  'delivery_attempts',
  'delivery_next_at',
  'delivery_error',
  'delivered_at',
  'delivery_claim',
  'delivery_claimed_until',
];

for (const kind of storeKinds) {
  test(`migration 0005 gives notifications a delivery; those written before it are never sent (${kind})`, async () => {
    const database = await createTestDatabase(kind);
    try {
      const store = await createStore(database.config, silentLogger());
      await store.migrate();
      await store.close();
      // Back to schema 0004, with a notification written then.
      await executeRaw(database, [
        'drop index notifications_delivery_due',
        ...deliveryColumns.map((column) => `alter table notifications drop column ${column}`),
        `insert into notifications (id, type, message, details, at, read_at)
          values ('01900000-0000-7000-8000-000000000001', 'initial-load-done', 'old news', '{}',
                  '2026-01-01T00:00:00.000Z', null)`,
        `delete from syncline_migration where name = '0005_notification_delivery'`,
      ]);
      const migrated = await createStore(database.config, silentLogger());
      try {
        assert.deepEqual((await migrated.migrate()).applied, ['0005_notification_delivery']);
        const [old] = (await migrated.listNotifications({ limit: 5 })).items;
        assert.equal(old.message, 'old news');
        assert.equal(old.delivery, null);
        assert.deepEqual(await migrated.claimDueNotifications({ limit: 10, leaseMs: 1000 }), []);
        const fresh = await migrated.addNotification({ type: 'pass-failed', message: 'new', deliver: true });
        const claims = await migrated.claimDueNotifications({ limit: 10, leaseMs: 1000 });
        assert.deepEqual(
          claims.map((claim) => claim.notification.id),
          [fresh.id],
        );
      } finally {
        await migrated.close();
      }
    } finally {
      await database.dispose();
    }
  });
}
