import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NotifyConfig, NotifyFormat } from '../../src/config/config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { Notifier, retryDelayMs, type NotifierOptions } from '../../src/notifications/notifier.ts';
import { createStore } from '../../src/store/registry.ts';
import type { NotificationRecord } from '../../src/store/run-log-store.ts';
import type { Store } from '../../src/store/store.ts';
import { openTestStore, storeKinds } from '../helpers/test-store.ts';
import { assertValidSignature, eventually, startNotifyReceiver } from './notify-receiver.ts';

const secret = 'notify-signing-secret-0123456789';

/**
 * Fast retries so a test sees several attempts within a second or two. The answer timeout stays long: the
 * receiver runs in the test's own process, and on a loaded machine (a CI run, a chaos run beside it) its answer
 * took over 2 s, which the notifier rightly counted as no answer and retried — a second POST and an extra
 * attempt the tests then saw.
 */
const fast: NotifierOptions = {
  pollMs: 25,
  leaseMs: 30_000,
  timeoutMs: 10_000,
  retry: { baseMs: 50, maxMs: 400, maxAttempts: 4 },
};

/** A logger whose lines the test can read (to prove no secret reaches them). */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines };
}

async function deliveryOf(store: Store, id: string): Promise<NotificationRecord['delivery']> {
  const items = (await store.listNotifications({ limit: 100 })).items;
  return items.find((n) => n.id === id)?.delivery ?? null;
}

const settled = (store: Store, id: string) =>
  eventually(
    async () => {
      const delivery = await deliveryOf(store, id);
      return delivery !== null && delivery.status !== 'pending' ? delivery : undefined;
    },
    15_000,
    'the delivery to settle',
  );

for (const kind of storeKinds) {
  describe(`notifications out over HTTP (B6.6, ${kind})`, () => {
    for (const format of ['json', 'slack', 'teams'] as NotifyFormat[]) {
      test(`${format}: a notification reaches the receiver once, signed, in the ${format} shape, and shows delivered`, async () => {
        await using t = await openTestStore(kind);
        const receiver = await startNotifyReceiver();
        const { logger, lines } = capturedLogger();
        const notify: NotifyConfig = { url: receiver.url, secret, format };
        const notifier = new Notifier(t.store, notify, logger, fast);
        try {
          const notification = await t.store.addNotification({
            type: 'pass-failed',
            message: 'A sync pass failed: <!channel> & the CRM said no',
            details: { passId: 'p1' },
            deliver: true,
          });
          notifier.start();
          const delivery = await settled(t.store, notification.id);
          assert.equal(delivery?.status, 'delivered');
          assert.equal(delivery?.attempts, 1);
          assert.equal(receiver.posts.length, 1);
          const [post] = receiver.posts;
          assert.equal(post.path, receiver.secretPath);
          assert.equal(post.headers['content-type'], 'application/json');
          assert.equal(post.headers['x-syncline-notification-id'], notification.id);
          assertValidSignature(post, secret);
          const body = JSON.parse(post.body);
          if (format === 'json') {
            assert.deepEqual(body, {
              id: notification.id,
              type: 'pass-failed',
              message: notification.message,
              details: { passId: 'p1' },
              at: notification.at,
            });
          } else if (format === 'slack') {
            assert.equal(typeof body.text, 'string');
            // Slack's markup characters are escaped: no `<!channel>` ping.
            assert.match(body.text, /&lt;!channel&gt; &amp; the CRM said no/);
            assert.deepEqual(
              body.blocks.map((block: { type: string }) => block.type),
              ['header', 'section', 'context'],
            );
            assert.equal(body.blocks[0].text.type, 'plain_text');
            assert.equal(body.blocks[1].text.type, 'mrkdwn');
          } else {
            assert.equal(body.type, 'message');
            assert.equal(body.attachments.length, 1);
            const [attachment] = body.attachments;
            assert.equal(attachment.contentType, 'application/vnd.microsoft.card.adaptive');
            assert.equal(attachment.contentUrl, null);
            assert.equal(attachment.content.type, 'AdaptiveCard');
            assert.equal(attachment.content.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
            assert.ok(
              attachment.content.body.some(
                (element: { type: string; text?: string }) =>
                  element.type === 'TextBlock' && element.text === notification.message,
              ),
            );
          }
          // Sent once: later polls find nothing due.
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.equal(receiver.posts.length, 1);
          assert.ok(lines.some((line) => line.includes('notification delivered')));
          assert.ok(!lines.join('\n').includes(secret));
          assert.ok(!lines.join('\n').includes('credentialPathToken'));
        } finally {
          await notifier.stop();
          await receiver.close();
        }
      });
    }

    test('a receiver answering 500 gets retries with growing back-off, then the notification is delivered', async () => {
      await using t = await openTestStore(kind);
      const receiver = await startNotifyReceiver((_post, index) =>
        index < 2 ? { status: 500, body: 'busy, try later' } : { status: 200 },
      );
      const notifier = new Notifier(
        t.store,
        { url: receiver.url, secret, format: 'json' },
        capturedLogger().logger,
        fast,
      );
      try {
        const notification = await t.store.addNotification({
          type: 'backfill-done',
          message: 'x',
          deliver: true,
        });
        notifier.start();
        const delivery = await settled(t.store, notification.id);
        assert.equal(delivery?.status, 'delivered');
        assert.equal(delivery?.attempts, 3);
        assert.equal(delivery?.lastError, 'HTTP 500 from the receiver: busy, try later');
        assert.equal(receiver.posts.length, 3);
        for (const post of receiver.posts) assertValidSignature(post, secret);
        // Each retry is the same notification (a receiver can drop repeats by its id).
        assert.equal(new Set(receiver.posts.map((post) => post.body)).size, 1);
        const gaps = [
          receiver.posts[1].at - receiver.posts[0].at,
          receiver.posts[2].at - receiver.posts[1].at,
        ];
        assert.ok(gaps[0] >= 45, `first retry after ≥ 50 ms, was ${gaps[0]}`);
        assert.ok(gaps[1] >= 95, `second retry after ≥ 100 ms, was ${gaps[1]}`);
      } finally {
        await notifier.stop();
        await receiver.close();
      }
    });

    test('attempts are bounded: a receiver that keeps failing leaves the delivery failed, with the last error', async () => {
      await using t = await openTestStore(kind);
      const receiver = await startNotifyReceiver(() => ({ status: 503, headers: { 'retry-after': '0' } }));
      const notifier = new Notifier(
        t.store,
        { url: receiver.url, secret: undefined, format: 'slack' },
        capturedLogger().logger,
        fast,
      );
      try {
        const notification = await t.store.addNotification({
          type: 'pass-failed',
          message: 'x',
          deliver: true,
        });
        notifier.start();
        const delivery = await settled(t.store, notification.id);
        assert.deepEqual(delivery, {
          status: 'failed',
          attempts: 4,
          nextAttemptAt: null,
          lastError: 'HTTP 503 from the receiver (gave up after 4 attempts)',
          deliveredAt: null,
        });
        assert.equal(receiver.posts.length, 4);
        // No secret configured: unsigned.
        assert.equal(receiver.posts[0].headers['x-syncline-signature'], undefined);
      } finally {
        await notifier.stop();
        await receiver.close();
      }
    });

    test('a refusal (4xx) is final at once, and neither the URL path nor the secret reaches the error, the API or the logs', async () => {
      await using t = await openTestStore(kind);
      let receiverPath = '';
      const receiver = await startNotifyReceiver((post) => {
        receiverPath = post.path;
        // Like a framework's default 404 page, it quotes the request line — the URL path is Slack's credential.
        return { status: 404, body: `Cannot POST ${post.path} (key ${secret})` };
      });
      const { logger, lines } = capturedLogger();
      const notifier = new Notifier(t.store, { url: receiver.url, secret, format: 'slack' }, logger, fast);
      try {
        const notification = await t.store.addNotification({
          type: 'pass-failed',
          message: 'x',
          deliver: true,
        });
        notifier.start();
        const delivery = await settled(t.store, notification.id);
        assert.equal(delivery?.status, 'failed');
        assert.equal(delivery?.attempts, 1);
        assert.match(delivery?.lastError ?? '', /^HTTP 404 from the receiver: Cannot POST \[redacted\]/);
        const everything = JSON.stringify(await t.store.listNotifications({ limit: 10 })) + lines.join('\n');
        assert.ok(receiverPath.includes('credentialPathToken'));
        assert.ok(!everything.includes('credentialPathToken'), everything);
        assert.ok(!everything.includes(secret), everything);
        assert.ok(lines.some((line) => line.includes('notification delivery failed for good')));
      } finally {
        await notifier.stop();
        await receiver.close();
      }
    });

    test('an unreachable receiver is retried; a restarted process (a new store and notifier) resumes and delivers', async () => {
      await using t = await openTestStore(kind);
      const down = await startNotifyReceiver();
      const url = down.url;
      await down.close();
      const { logger, lines } = capturedLogger();
      const slow: NotifierOptions = { ...fast, retry: { baseMs: 300, maxMs: 300, maxAttempts: 5 } };
      const first = new Notifier(t.store, { url, secret, format: 'json' }, logger, slow);
      const notification = await t.store.addNotification({
        type: 'initial-load-done',
        message: 'x',
        deliver: true,
      });
      first.start();
      const failedOnce = await eventually(async () => {
        const delivery = await deliveryOf(t.store, notification.id);
        return delivery !== null && delivery.attempts >= 1 ? delivery : undefined;
      });
      await first.stop();
      assert.equal(failedOnce.status, 'pending');
      assert.equal(failedOnce.lastError, 'could not reach the receiver (ECONNREFUSED)');
      assert.ok(lines.some((line) => line.includes('it will be retried')));

      // The same port, up again, as the "restarted" process starts.
      const receiver = await startNotifyReceiver(undefined, Number(new URL(url).port));
      const store = await createStore(t.database.config, logger);
      const second = new Notifier(store, { url, secret, format: 'json' }, logger, slow);
      try {
        second.start();
        const delivery = await settled(store, notification.id);
        assert.equal(delivery?.status, 'delivered');
        assert.equal(delivery?.attempts, 2);
        assert.equal(receiver.posts.length, 1);
        assertValidSignature(receiver.posts[0], secret);
      } finally {
        await second.stop();
        await store.close();
        await receiver.close();
      }
    });

    test('two processes polling one database send each notification once', async () => {
      await using t = await openTestStore(kind);
      const receiver = await startNotifyReceiver();
      const store = await createStore(t.database.config, capturedLogger().logger);
      const notifiers = [t.store, store].map(
        (s) => new Notifier(s, { url: receiver.url, secret, format: 'json' }, capturedLogger().logger, fast),
      );
      try {
        const ids: string[] = [];
        for (let i = 0; i < 20; i++)
          ids.push(
            (await t.store.addNotification({ type: 'pass-failed', message: `n${i}`, deliver: true })).id,
          );
        for (const notifier of notifiers) notifier.start();
        await eventually(async () => (receiver.posts.length >= 20 ? true : undefined));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const sent = receiver.posts.map((post) => JSON.parse(post.body).id as string);
        assert.equal(sent.length, 20, 'no notification was sent twice');
        assert.deepEqual([...sent].sort(), [...ids].sort());
      } finally {
        for (const notifier of notifiers) await notifier.stop();
        await store.close();
        await receiver.close();
      }
    });
  });
}

test('retry delays: 1 s doubling to at most 5 min by default, stretched to Retry-After within the cap', () => {
  const policy = { baseMs: 1000, maxMs: 300_000, maxAttempts: 12 };
  assert.deepEqual(
    [1, 2, 3, 4, 9, 10, 11].map((attempt) => retryDelayMs(policy, attempt)),
    [1000, 2000, 4000, 8000, 256_000, 300_000, 300_000],
  );
  assert.equal(retryDelayMs(policy, 1, 30_000), 30_000);
  assert.equal(retryDelayMs(policy, 1, 3_600_000), 300_000);
});
