import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { WebhookNotification } from '../../src/webhooks/webhook-notification.ts';
import { createWebhookReceiver } from '../../src/webhooks/webhook-receiver.ts';
import { auth, buildTestServer } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';

/**
 * `POST /api/v1/webhooks/dataverse` (interfaces.md §4, B2.8): the webhook key, not the API key; a forged or
 * keyless call → 401 and nothing queued, before the body is read; receiver off → 404; a context → 202.
 */

const secret = 'test-webhook-secret-0123456789';
const url = '/api/v1/webhooks/dataverse';
const contactId = '6d81597f-0f9f-e711-80e6-00155db64062';
const context = {
  MessageName: 'Update',
  PrimaryEntityName: 'contact',
  PrimaryEntityId: contactId.toUpperCase(),
  InputParameters: [{ key: 'Target', value: { Attributes: [{ key: 'firstname', value: 'Forged' }] } }],
  InitiatingUserId: '75c2dd13-0000-0000-0000-000000000003',
};
const post = (query: string, headers: Record<string, string> = {}, payload: unknown = context) => ({
  method: 'POST' as const,
  url: `${url}${query}`,
  headers: { 'content-type': 'application/json', ...headers },
  payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
});

describe('the Dataverse webhook receiver (B2.8)', () => {
  const { store, calls } = tripwireStore();
  const queued: WebhookNotification[] = [];
  const lines: string[] = [];
  let app: ApiApp;
  let off: ApiApp;
  before(async () => {
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    app = await buildTestServer(store, {
      logger,
      webhooks: createWebhookReceiver(secret, (notification) => {
        queued.push(notification);
        return notification.ids.length;
      }),
    });
    off = await buildTestServer(store);
  });
  after(async () => {
    await app.close();
    await off.close();
  });

  test('B2.8 the key as ?code= (Dataverse WebhookKey) or header → 202 with the record queued, values ignored', async () => {
    queued.length = 0;
    const byQuery = await app.inject(post(`?code=${encodeURIComponent(secret)}`));
    assert.equal(byQuery.statusCode, 202, byQuery.body);
    assert.deepEqual(byQuery.json(), { queued: 1 });
    const byHeader = await app.inject(post('', { 'x-syncline-webhook-key': secret }));
    assert.equal(byHeader.statusCode, 202, byHeader.body);
    assert.deepEqual(
      queued.map((notification) => [notification.message, notification.entity, notification.ids]),
      [
        ['Update', 'contact', [contactId]],
        ['Update', 'contact', [contactId]],
      ],
    );
  });

  test('B2.8 forged and keyless calls → 401 WEBHOOK_KEY_INVALID, nothing queued, the key never echoed', async () => {
    queued.length = 0;
    for (const [query, headers] of [
      ['', {}],
      ['?code=', {}],
      ['?code=wrong-key', {}],
      [`?code=${encodeURIComponent(secret)}x`, {}],
      ['', { 'x-syncline-webhook-key': 'wrong-key' }],
      ['', auth],
      [`?code=${encodeURIComponent(secret)}`, { 'x-syncline-webhook-key': 'wrong-key' }],
    ] as const) {
      const response = await app.inject(post(query, headers));
      assert.equal(response.statusCode, 401, `${query} ${JSON.stringify(headers)}`);
      assert.equal(response.json().error.code, 'WEBHOOK_KEY_INVALID');
      assert.ok(!response.body.includes(secret));
    }
    assert.deepEqual(queued, []);
    assert.deepEqual(calls, [], 'nothing reaches the store');
    assert.ok(!lines.join('').includes(secret), 'the key never reaches a log');
  });

  test('the key is checked before the body: a huge forged body is 401, a huge keyed one 413', async () => {
    const huge = JSON.stringify({ ...context, padding: 'x'.repeat(600 * 1024) });
    assert.equal((await app.inject(post('?code=wrong', {}, huge))).statusCode, 401);
    const keyed = await app.inject(post('', { 'x-syncline-webhook-key': secret }, huge));
    assert.equal(keyed.statusCode, 413);
    assert.equal(keyed.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('a keyed body that is not a RemoteExecutionContext → 400, nothing queued', async () => {
    queued.length = 0;
    const keyed = { 'x-syncline-webhook-key': secret };
    for (const body of [
      { hello: 'world' },
      { ...context, PrimaryEntityId: 'not-a-guid' },
      { ...context, PrimaryEntityName: 'Contact' },
    ]) {
      const response = await app.inject(post('', keyed, body));
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      assert.equal(response.json().error.code, 'VALIDATION_FAILED');
    }
    assert.equal((await app.inject(post('', keyed, '{"MessageName":'))).json().error.code, 'INVALID_JSON');
    assert.deepEqual(queued, []);
  });

  test('receiver off (no SYNCLINE_WEBHOOK_SECRET) → 404 WEBHOOKS_OFF, with or without a key', async () => {
    for (const query of ['', `?code=${secret}`]) {
      const response = await off.inject(post(query));
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error.code, 'WEBHOOKS_OFF');
    }
  });
});
