import assert from 'node:assert/strict';
import type { NotificationDeliveryStore } from '../../src/store/notification-delivery-store.ts';
import type { RunLogStore } from '../../src/store/run-log-store.ts';
import { portTest, withSecondStore, type StoreFactory } from './store-contract-support.ts';

const inAMinute = () => new Date(Date.now() + 60_000).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The notification delivery queue (NotificationDeliveryStore, B6.6): what the notifier relies on. */
export function registerNotificationDeliveryTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): NotificationDeliveryStore & RunLogStore => store);

  it('notification delivery: only notifications written to be delivered are queued, pending and due (B6.6)', async (store) => {
    const quiet = await store.addNotification({ type: 'backfill-done', message: 'not sent' });
    const sent = await store.addNotification({ type: 'pass-failed', message: 'sent', deliver: true });
    assert.equal(quiet.delivery, null);
    assert.deepEqual(sent.delivery, {
      status: 'pending',
      attempts: 0,
      nextAttemptAt: sent.at,
      lastError: null,
      deliveredAt: null,
    });
    const listed = (await store.listNotifications({ limit: 5 })).items;
    assert.deepEqual(
      listed.map((n) => [n.message, n.delivery?.status ?? null]),
      [
        ['sent', 'pending'],
        ['not sent', null],
      ],
    );
    const claims = await store.claimDueNotifications({ limit: 10, leaseMs: 60_000 });
    assert.deepEqual(
      claims.map((claim) => claim.notification.id),
      [sent.id],
    );
    assert.equal(claims[0].notification.message, 'sent');
    // Claimed: nobody else gets it while the lease lasts.
    assert.deepEqual(await store.claimDueNotifications({ limit: 10, leaseMs: 60_000 }), []);
  });

  it('notification delivery: a retry counts the attempt, keeps the error and waits until due; delivered and failed are final (B6.6)', async (store) => {
    const first = await store.addNotification({ type: 'pass-failed', message: 'one', deliver: true });
    const second = await store.addNotification({ type: 'pass-failed', message: 'two', deliver: true });
    const [claimOne, claimTwo] = await store.claimDueNotifications({ limit: 10, leaseMs: 60_000 });
    assert.deepEqual([claimOne.notification.id, claimTwo.notification.id], [first.id, second.id]);

    const later = inAMinute();
    assert.equal(
      await store.recordDeliveryAttempt(claimOne, {
        status: 'retry',
        error: 'HTTP 500',
        nextAttemptAt: later,
      }),
      true,
    );
    assert.equal(await store.recordDeliveryAttempt(claimTwo, { status: 'delivered' }), true);
    // Released but not due yet; the delivered one is never claimed again.
    assert.deepEqual(await store.claimDueNotifications({ limit: 10, leaseMs: 60_000 }), []);
    const [two, one] = (await store.listNotifications({ limit: 5 })).items;
    assert.deepEqual(one.delivery, {
      status: 'pending',
      attempts: 1,
      nextAttemptAt: later,
      lastError: 'HTTP 500',
      deliveredAt: null,
    });
    assert.equal(two.delivery?.status, 'delivered');
    assert.equal(two.delivery?.attempts, 1);
    assert.equal(two.delivery?.nextAttemptAt, null);
    assert.ok(Date.parse(two.delivery?.deliveredAt ?? '') >= Date.parse(two.at));

    // A token is good for one record only.
    assert.equal(await store.recordDeliveryAttempt(claimTwo, { status: 'failed', error: 'x' }), false);

    const third = await store.addNotification({ type: 'pass-failed', message: 'three', deliver: true });
    const [claimThree] = await store.claimDueNotifications({ limit: 10, leaseMs: 60_000 });
    assert.equal(claimThree.notification.id, third.id);
    assert.equal(
      await store.recordDeliveryAttempt(claimThree, { status: 'failed', error: 'HTTP 404' }),
      true,
    );
    const failed = (await store.listNotifications({ limit: 1 })).items[0];
    assert.deepEqual(failed.delivery, {
      status: 'failed',
      attempts: 1,
      nextAttemptAt: null,
      lastError: 'HTTP 404',
      deliveredAt: null,
    });
    assert.deepEqual(await store.claimDueNotifications({ limit: 10, leaseMs: 60_000 }), []);
  });

  it('notification delivery: a lapsed claim is taken over by another process, and the first one can no longer record (B6.6)', async (store, database) => {
    const notification = await store.addNotification({ type: 'pass-failed', message: 'x', deliver: true });
    const [stale] = await store.claimDueNotifications({ limit: 1, leaseMs: 50 });
    await sleep(80);
    await withSecondStore(database, async (other) => {
      // A restarted process (another store on the same database) finds the undelivered notification.
      const [fresh] = await other.claimDueNotifications({ limit: 1, leaseMs: 60_000 });
      assert.equal(fresh.notification.id, notification.id);
      assert.equal(await store.recordDeliveryAttempt(stale, { status: 'delivered' }), false);
      assert.equal(await other.recordDeliveryAttempt(fresh, { status: 'delivered' }), true);
    });
    assert.equal((await store.listNotifications({ limit: 1 })).items[0].delivery?.attempts, 1);
  });

  it('notification delivery: two processes claiming at once never get the same notification (B6.6)', async (store, database) => {
    const written: string[] = [];
    for (let i = 0; i < 30; i++)
      written.push(
        (await store.addNotification({ type: 'pass-failed', message: `n${i}`, deliver: true })).id,
      );
    await withSecondStore(database, async (other) => {
      const claimed: string[][] = [[], []];
      await Promise.all(
        [store, other].map(async (claimer, i) => {
          for (let round = 0; round < 10; round++) {
            const claims = await claimer.claimDueNotifications({ limit: 4, leaseMs: 60_000 });
            claimed[i].push(...claims.map((claim) => claim.notification.id));
          }
        }),
      );
      const all = [...claimed[0], ...claimed[1]];
      assert.equal(new Set(all).size, all.length, 'a notification was claimed twice');
      assert.deepEqual([...all].sort(), [...written].sort());
    });
  });

  it('notification delivery: a claim takes 1–100 notifications', async (store) => {
    await assert.rejects(store.claimDueNotifications({ limit: 0, leaseMs: 1000 }), {
      code: 'VALIDATION_FAILED',
    });
    await assert.rejects(store.claimDueNotifications({ limit: 101, leaseMs: 1000 }), {
      code: 'VALIDATION_FAILED',
    });
  });
}
