import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliveryView } from './notification-delivery.ts';

const base = { attempts: 0, nextAttemptAt: null, lastError: null, deliveredAt: null };

test('B6.6 a notification not sent out has no delivery to show', () => {
  assert.equal(deliveryView(null), null);
});

test('B6.6 each delivery state reads as a word, with the attempts and the last error', () => {
  assert.deepEqual(deliveryView({ ...base, status: 'pending', nextAttemptAt: '2026-01-01T00:00:00.000Z' }), {
    word: 'sending',
    tone: 'info',
    detail: '',
    nextAttemptAt: null,
    deliveredAt: null,
  });
  assert.deepEqual(
    deliveryView({
      ...base,
      status: 'pending',
      attempts: 2,
      nextAttemptAt: '2026-01-01T00:00:04.000Z',
      lastError: 'HTTP 500 from the receiver',
    }),
    {
      word: 'retrying',
      tone: 'warn',
      detail: '2 attempts failed, the last with HTTP 500 from the receiver',
      nextAttemptAt: '2026-01-01T00:00:04.000Z',
      deliveredAt: null,
    },
  );
  const at = '2026-01-01T00:00:05.000Z';
  assert.equal(deliveryView({ ...base, status: 'delivered', attempts: 1, deliveredAt: at })?.detail, '');
  assert.deepEqual(deliveryView({ ...base, status: 'delivered', attempts: 3, deliveredAt: at }), {
    word: 'sent',
    tone: 'good',
    detail: 'after 3 attempts',
    nextAttemptAt: null,
    deliveredAt: at,
  });
  assert.deepEqual(
    deliveryView({ ...base, status: 'failed', attempts: 1, lastError: 'HTTP 404 from the receiver' }),
    {
      word: 'not sent',
      tone: 'bad',
      detail: 'gave up after 1 attempt: HTTP 404 from the receiver',
      nextAttemptAt: null,
      deliveredAt: null,
    },
  );
});
