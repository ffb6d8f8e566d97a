import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebhookNotification } from './webhook-notification.ts';
import { createWebhookReceiver } from './webhook-receiver.ts';

test('B2.8: only the exact secret authenticates; empty and missing keys never do', () => {
  const receiver = createWebhookReceiver('a-long-random-webhook-key', () => 0);
  assert.equal(receiver.authenticate('a-long-random-webhook-key'), true);
  for (const key of [
    undefined,
    '',
    'a-long-random-webhook-ke',
    'a-long-random-webhook-key ',
    'A-LONG-RANDOM-WEBHOOK-KEY',
  ]) {
    assert.equal(receiver.authenticate(key), false, String(key));
  }
});

test('B2.8: a context is handed to the sink; anything else is refused', () => {
  const seen: WebhookNotification[] = [];
  const receiver = createWebhookReceiver('a-long-random-webhook-key', (notification) => {
    seen.push(notification);
    return notification.ids.length;
  });
  const id = '6d81597f-0f9f-e711-80e6-00155db64062';
  assert.deepEqual(
    receiver.receive({ MessageName: 'Update', PrimaryEntityName: 'lead', PrimaryEntityId: id }),
    { queued: 1 },
  );
  assert.equal(receiver.receive({ hello: 'world' }), undefined);
  assert.deepEqual(
    seen.map((notification) => [notification.entity, notification.ids]),
    [['lead', [id]]],
  );
});
