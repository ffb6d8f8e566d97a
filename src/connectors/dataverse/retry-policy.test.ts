import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backoffDelay,
  defaultRetryPolicy,
  parseRetryAfter,
  RetryBudget,
  throttleDelay,
} from './retry-policy.ts';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 10_000 };

test('Retry-After is read as seconds or as an HTTP date', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter('0.5', now), 500);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now), 3000);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
});

test('B6.2: back-off grows exponentially with jitter inside [ceiling/2, ceiling] and is capped', () => {
  assert.equal(
    backoffDelay(1, policy, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(1, policy, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(3, policy, () => 0),
    200,
  );
  assert.equal(
    backoffDelay(3, policy, () => 1),
    400,
  );
  assert.equal(
    backoffDelay(10, policy, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(10, policy, () => 0),
    500,
  );
});

test('B6.2: a throttled retry never comes back before Retry-After', () => {
  assert.equal(
    throttleDelay(2000, () => 0),
    2000,
  );
  assert.equal(
    throttleDelay(2000, () => 1),
    2200,
  );
  assert.equal(
    throttleDelay(60_000, () => 1),
    61_000,
  );
});

test('the budget stops non-throttled retries after maxAttempts failures', () => {
  const budget = new RetryBudget(policy, () => 0);
  const delays = [1, 2, 3, 4].map(() => budget.next({ throttled: false, retryAfterMs: undefined }));
  assert.deepEqual(delays, [50, 100, 200, undefined]);
});

test('throttling is bounded by total waiting time, not by attempts', () => {
  const budget = new RetryBudget(policy, () => 0);
  const delays: (number | undefined)[] = [];
  for (let i = 0; i < 12; i += 1) delays.push(budget.next({ throttled: true, retryAfterMs: 1000 }));
  assert.deepEqual(delays.slice(0, 10), Array(10).fill(1000));
  assert.equal(delays[10], undefined);
  assert.equal(budget.waitedMs, 10_000);
});

test('the default policy allows several minutes of throttling', () => {
  assert.ok(defaultRetryPolicy.budgetMs >= 120_000);
  assert.ok(defaultRetryPolicy.maxAttempts >= 3);
});
