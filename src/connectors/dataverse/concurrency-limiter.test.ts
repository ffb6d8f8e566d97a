import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimiter } from './concurrency-limiter.ts';

test('grants at most floor(limit) permits and queues the rest', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 2 });
  const a = await limiter.acquire();
  await limiter.acquire();
  let third = false;
  const pending = limiter.acquire().then((permit) => {
    third = true;
    return permit;
  });
  await Promise.resolve();
  assert.equal(third, false);
  assert.equal(limiter.waiting, 1);
  limiter.release(a, 'failure');
  await pending;
  assert.equal(third, true);
  assert.equal(limiter.inFlight, 2);
});

test('additive increase: one more slot after a window of successes, never above 52', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 4 });
  for (let i = 0; i < 4; i += 1) limiter.release(await limiter.acquire(), 'success');
  assert.equal(Math.floor(limiter.limit), 5);
  const high = new ConcurrencyLimiter({ initial: 52 });
  high.release(await high.acquire(), 'success');
  assert.equal(high.limit, 52);
  assert.equal(new ConcurrencyLimiter({ initial: 500 }).limit, 52);
});

test('multiplicative decrease: a 429 halves the limit once per congestion event', async () => {
  let now = 1000;
  const limiter = new ConcurrencyLimiter({ initial: 16, now: () => now });
  const permits = await Promise.all([1, 2, 3].map(() => limiter.acquire()));
  now = 1001;
  limiter.release(permits[0], 'throttled');
  assert.equal(limiter.limit, 8);
  // Same burst (started before the decrease): no further halving.
  limiter.release(permits[1], 'throttled');
  assert.equal(limiter.limit, 8);
  now = 1002;
  const later = await limiter.acquire();
  limiter.release(later, 'throttled');
  assert.equal(limiter.limit, 4);
  limiter.release(permits[2], 'failure');
  const floor = new ConcurrencyLimiter({ initial: 1 });
  floor.release(await floor.acquire(), 'throttled');
  assert.equal(floor.limit, 1);
});

test('x-ms-dop-hint sets the starting point once', () => {
  const limiter = new ConcurrencyLimiter({ initial: 4 });
  limiter.observeHint(12);
  assert.equal(limiter.limit, 12);
  limiter.observeHint(2);
  assert.equal(limiter.limit, 12);
  const capped = new ConcurrencyLimiter();
  capped.observeHint(200);
  assert.equal(capped.limit, 52);
});

test('a Retry-After pause holds every new request until it ends', async () => {
  const now = 0;
  const limiter = new ConcurrencyLimiter({ initial: 4, now: () => now });
  limiter.pause(60_000);
  let granted = false;
  const pending = limiter.acquire().then(() => (granted = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(granted, false, 'no permit while paused');
  limiter.close(new Error('closed'));
  await assert.rejects(pending, /closed/);
  assert.equal(granted, false);

  // A short real pause ends by itself and the waiter gets its permit.
  const real = new ConcurrencyLimiter({ initial: 1 });
  real.pause(20);
  const permit = await real.acquire();
  assert.equal(real.inFlight, 1);
  real.release(permit, 'success');
});

test('an aborted waiter leaves the queue', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 1 });
  await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  assert.equal(limiter.waiting, 0);
});
