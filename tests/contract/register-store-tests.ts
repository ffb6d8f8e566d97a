import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerCampaignStoreTests } from './register-campaign-store-tests.ts';
import { registerCursorStoreTests } from './register-cursor-store-tests.ts';
import { registerJobStoreTests } from './register-job-store-tests.ts';
import { registerLinkStoreTests } from './register-link-store-tests.ts';
import { registerMarkerStoreTests } from './register-marker-store-tests.ts';
import { registerMirrorStoreTests } from './register-mirror-store-tests.ts';
import { registerNotificationDeliveryTests } from './register-notification-delivery-tests.ts';
import { registerOutboxStoreTests } from './register-outbox-store-tests.ts';
import { registerPersonFeedTests } from './register-person-feed-tests.ts';
import { registerPersonStoreTests } from './register-person-store-tests.ts';
import { registerRunLogStoreTests } from './register-run-log-store-tests.ts';
import { registerSettingStoreTests } from './register-setting-store-tests.ts';
import { registerSyncFieldStoreTests } from './register-sync-field-store-tests.ts';
import { allChanges, storeTest, withSecondStore, type StoreFactory } from './store-contract-support.ts';

export type { StoreFactory } from './store-contract-support.ts';

/**
 * The Store contract: every implementation runs exactly these tests (PowerSync's register-*-tests idea), each
 * on a fresh database from `factory`: one suite per port, then what only the whole Store does (transactions
 * across ports, migrations, capabilities). Call it inside a `describe` per backend.
 */
export function registerStoreTests(factory: StoreFactory): void {
  registerPersonStoreTests(factory);
  registerPersonFeedTests(factory);
  registerMirrorStoreTests(factory);
  registerSettingStoreTests(factory);
  registerLinkStoreTests(factory);
  registerOutboxStoreTests(factory);
  registerRunLogStoreTests(factory);
  registerNotificationDeliveryTests(factory);
  registerJobStoreTests(factory);
  registerSyncFieldStoreTests(factory);
  registerCursorStoreTests(factory);
  registerCampaignStoreTests(factory);
  registerMarkerStoreTests(factory);
  registerWholeStoreTests(factory);
}

function registerWholeStoreTests(factory: StoreFactory): void {
  const it = storeTest(factory);

  it('withTransaction commits together and rolls back together (B2.4)', async (store) => {
    const kept = await store.withTransaction(async (tx) => {
      const person = await tx.createPerson({ email: 'tx@example.com' }, 'sync');
      await tx.setCursor('delta:contact', 'token-1');
      // Nested calls join the same transaction.
      await tx.withTransaction((inner) => inner.appendActivity(person.id, 'crm.created-person', {}));
      return person;
    });
    assert.ok(await store.getPerson(kept.id));
    assert.equal(await store.getCursor('delta:contact'), 'token-1');
    assert.equal((await store.listActivities(kept.id, { limit: 10 })).items.length, 1);

    let rolledBack: string | undefined;
    await assert.rejects(
      store.withTransaction(async (tx) => {
        rolledBack = (await tx.createPerson({ email: 'gone@example.com' }, 'sync')).id;
        await tx.setCursor('delta:contact', 'token-2');
        throw new Error('crash before the page is applied');
      }),
      /crash before/,
    );
    assert.equal(await store.getPerson(rolledBack!), undefined);
    assert.equal(await store.getCursor('delta:contact'), 'token-1');
    const changes = await allChanges(store);
    assert.ok(
      !changes.some((change) => change.personId === rolledBack),
      'a rolled-back write is never in the feed',
    );
  });

  test('migrate is idempotent, also when two processes migrate a fresh database at once', async () => {
    const database = await factory.createDatabase();
    try {
      await withSecondStore(database, (first) =>
        withSecondStore(database, async (second) => {
          await Promise.all([first.migrate(), second.migrate()]);
          await first.migrate();
          await second.createPerson({ email: 'after@example.com' }, 'api');
          assert.equal((await first.listPersons({ limit: 10 })).items.length, 1);
        }),
      );
    } finally {
      await database.dispose();
    }
  });

  it('capabilities name the backend', async (store) => {
    assert.equal(store.capabilities.kind, factory.name);
    assert.equal(store.capabilities.concurrentWriters, factory.name === 'postgres');
    assert.ok(store.capabilities.maxBatchRows >= 100);
  });

  it('markers commit and roll back with the transaction that wrote them (a qualify marker with its link, B7.1)', async (store) => {
    const person = await store.createPerson({ email: 'q@example.com' }, 'api');
    await assert.rejects(
      store.withTransaction(async (tx) => {
        assert.equal(await tx.setMarker(person.id, 'qualify', 'lead-1'), true);
        throw new Error('crash before the link commits');
      }),
      /crash before/,
    );
    assert.equal(await store.getMarker(person.id, 'qualify'), undefined);
    await store.withTransaction(async (tx) => {
      await tx.setMarker(person.id, 'qualify', 'lead-2');
      await tx.setCursor('flows:campaigns', 'c-1');
    });
    assert.equal(await store.getMarker(person.id, 'qualify'), 'lead-2');
  });
}
