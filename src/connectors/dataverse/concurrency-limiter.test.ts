import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimiter, throttleKindOf } from './concurrency-limiter.ts';

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

test('a budget 429 (requests, execution time) leaves the limit to the Retry-After pause', async () => {
  let now = 1000;
  const limiter = new ConcurrencyLimiter({ initial: 16, now: () => now });
  const permit = await limiter.acquire();
  now = 1001;
  limiter.release(permit, 'throttled', throttleKindOf('0x80072321'));
  assert.equal(limiter.limit, 16);
  limiter.throttled(await limiter.acquire(), throttleKindOf('0x80072322'));
  assert.equal(limiter.limit, 16);
  // The concurrency limit, or a 429 without a known code, still halves it.
  limiter.release(await limiter.acquire(), 'throttled', throttleKindOf('0x80072326'));
  assert.equal(limiter.limit, 8);
  now = 1002;
  limiter.release(await limiter.acquire(), 'throttled', throttleKindOf(undefined));
  assert.equal(limiter.limit, 4);
});

test('a resent request waits before the requests not sent yet, resends in their own order', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 1 });
  const held = await limiter.acquire();
  const order: string[] = [];
  const take = (name: string, resend: boolean, signal?: AbortSignal) =>
    limiter.acquire(signal, { resend }).then((permit) => {
      order.push(name);
      limiter.release(permit, 'failure');
    });
  const aborted = new AbortController();
  const waits = [
    take('new 1', false),
    take('resend 1', true),
    take('new 2', false),
    take('resend gone', true, aborted.signal).catch(() => order.push('aborted')),
    take('resend 2', true),
  ];
  aborted.abort();
  limiter.release(held, 'failure');
  await Promise.all(waits);
  // The aborted resend left the queue without disturbing the order of the others.
  assert.deepEqual(
    order.filter((name) => name !== 'aborted'),
    ['resend 1', 'resend 2', 'new 1', 'new 2'],
  );
  assert.ok(order.includes('aborted'));
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
