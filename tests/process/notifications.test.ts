import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crmAdmin, startEmulatorProcess, waitFor, type EmulatorProcess } from '../engine/sync-world.ts';
import { createTestDatabase, storeKinds, type TestDatabase } from '../helpers/test-store.ts';
import { assertValidSignature, startNotifyReceiver } from '../notifications/notify-receiver.ts';
import { startSynclineProcess, type SynclineProcess } from './syncline-process.ts';

/**
 * Issue 16 item 2, B6.6 over real HTTP: `syncline start` in its own process against the emulator in another,
 * with SYNCLINE_NOTIFY_URL pointing at a receiver that answers 500. The passes succeed regardless, the receiver
 * gets signed retries, the delivery state shows in the API, and once the receiver recovers the notification is
 * delivered. Neither the secret nor the URL's credential path appears in the API or the process's output.
 */

const secret = 'process-notify-secret-0123456789';

describe('notifications out through the running product (B6.6)', () => {
  let emulator: EmulatorProcess;
  before(async () => {
    emulator = await startEmulatorProcess([
      '--seed',
      'demo',
      '--contacts',
      '4',
      '--leads',
      '2',
      '--accounts',
      '1',
    ]);
  });
  after(() => emulator?.stop());

  for (const kind of storeKinds) {
    describe(kind, () => {
      let database: TestDatabase;
      let product: SynclineProcess;
      let failing = true;
      let receiver: Awaited<ReturnType<typeof startNotifyReceiver>>;

      before(async () => {
        const reset = await crmAdmin(emulator.url)('POST', '/_emulator/reset', {
          seed: 'demo',
          contacts: 4,
          leads: 2,
          accounts: 1,
        });
        assert.equal(reset.status, 200);
        failing = true;
        receiver = await startNotifyReceiver(() =>
          failing ? { status: 500, body: 'receiver is down' } : { status: 204 },
        );
        database = await createTestDatabase(kind);
        product = await startSynclineProcess({
          database: database.config,
          crmUrl: emulator.url,
          env: {
            SYNCLINE_SYNC_INTERVAL: '300',
            SYNCLINE_NOTIFY_URL: receiver.url,
            SYNCLINE_NOTIFY_SECRET: secret,
            SYNCLINE_NOTIFY_FORMAT: 'json',
          },
        });
      });
      after(async () => {
        await product?.stop();
        await receiver?.close();
        await database?.dispose();
      });

      test(`a receiver answering 500 gets signed retries, the passes succeed, and the delivery shows in the API (${kind})`, async () => {
        await waitFor(
          'the initial load',
          async () => {
            const { body } = await product.api('GET', '/api/v1/sync/status');
            return body.initialLoad.done && body.state === 'idle' ? true : undefined;
          },
          60_000,
        );
        // Retried: 1 s, then 2 s after the first failure.
        await waitFor('three attempts', async () => (receiver.posts.length >= 3 ? true : undefined), 20_000);

        const passes = await product.api('GET', '/api/v1/sync/passes?limit=5');
        assert.equal(passes.status, 200);
        assert.deepEqual(
          passes.body.items.map((pass: { status: string }) => pass.status),
          ['succeeded'],
        );
        // A pass run now, while the receiver still fails, succeeds too and is not held up by it.
        const started = Date.now();
        const run = await product.api('POST', '/api/v1/sync/passes', {});
        assert.ok(run.status < 300, run.text);
        await waitFor(
          'the second pass',
          async () => {
            const { body } = await product.api('GET', '/api/v1/sync/passes?limit=5');
            return body.items.length === 2 && body.items[0].status !== 'running' ? body.items : undefined;
          },
          30_000,
        ).then((items) => assert.equal(items[0].status, 'succeeded'));
        assert.ok(Date.now() - started < 30_000);

        const listed = await product.api('GET', '/api/v1/notifications?limit=10');
        assert.equal(listed.status, 200);
        const initialLoad = listed.body.items.find((n: { type: string }) => n.type === 'initial-load-done');
        assert.ok(initialLoad, JSON.stringify(listed.body));
        assert.equal(initialLoad.delivery.status, 'pending');
        assert.ok(initialLoad.delivery.attempts >= 3, JSON.stringify(initialLoad.delivery));
        assert.equal(initialLoad.delivery.lastError, 'HTTP 500 from the receiver: receiver is down');
        assert.ok(Date.parse(initialLoad.delivery.nextAttemptAt) > Date.parse(initialLoad.at));

        for (const post of receiver.posts) {
          assert.equal(post.path, receiver.secretPath);
          assertValidSignature(post, secret);
        }
        // json: the notification as the API shows it (without this console's read and delivery state).
        const { readAt: _readAt, delivery: _delivery, ...asShown } = initialLoad;
        assert.deepEqual(JSON.parse(receiver.posts[0].body), asShown);

        // The receiver recovers: the queued notification goes out at its next attempt.
        failing = false;
        const delivered = await waitFor(
          'the delivery',
          async () => {
            const { body } = await product.api('GET', '/api/v1/notifications?limit=10');
            const n = body.items.find((item: { id: string }) => item.id === initialLoad.id);
            return n.delivery.status === 'delivered' ? n.delivery : undefined;
          },
          30_000,
        );
        assert.ok(delivered.attempts >= 4);
        assert.notEqual(delivered.deliveredAt, null);

        const seen =
          JSON.stringify((await product.api('GET', '/api/v1/notifications?limit=10')).body) +
          product.output();
        assert.ok(!seen.includes(secret), 'the secret is in the API or the logs');
        assert.ok(!seen.includes('credentialPathToken'), 'the URL path is in the API or the logs');
        // Every notification is logged, and the retries too.
        assert.match(product.output(), /"msg":"notification: The initial load is done/);
        assert.match(product.output(), /notification delivery failed; it will be retried/);
        assert.match(product.output(), /"msg":"notification delivered"/);
      });
    });
  }
});
