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

test('slow start: a slot per success until the first concurrency 429, then one per window of successes', async () => {
  let now = 1000;
  const limiter = new ConcurrencyLimiter({ initial: 4, now: () => now });
  for (let i = 0; i < 4; i += 1) limiter.release(await limiter.acquire(), 'success');
  assert.equal(limiter.limit, 8);
  // A budget 429 says the window is spent, not that too many run at once: growth goes on as before.
  limiter.release(await limiter.acquire(), 'throttled', 'budget');
  for (let i = 0; i < 8; i += 1) limiter.release(await limiter.acquire(), 'success');
  assert.equal(limiter.limit, 16);
  now = 2000;
  limiter.release(await limiter.acquire(), 'throttled', 'concurrency');
  assert.equal(limiter.limit, 8);
  for (let i = 0; i < 8; i += 1) limiter.release(await limiter.acquire(), 'success');
  assert.equal(Math.floor(limiter.limit), 9, 'additive after the concurrency 429');
  const full = new ConcurrencyLimiter({ initial: 4 });
  for (let i = 0; i < 100; i += 1) full.release(await full.acquire(), 'success');
  assert.equal(full.limit, 52, 'never above 52');
});

test('additive increase after x-ms-dop-hint: one more slot after a window of successes, never above 52', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 4 });
  limiter.observeHint(4);
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

test('after a Retry-After the lane reopens gradually: one request, then doubling each probe interval without a 429', async () => {
  let now = 0;
  const limiter = new ConcurrencyLimiter({ initial: 8, now: () => now });
  // A 429 that came back 40 ms after it was sent: the probe interval is twice the smoothed round trip.
  const first = await limiter.acquire();
  now = 40;
  limiter.release(first, 'throttled', 'budget');
  const probeMs = 2 * (0.75 * 50 + 0.25 * 40);
  limiter.pause(1000);
  let granted = 0;
  const waiters = Array.from({ length: 12 }, () =>
    limiter.acquire().then((permit) => {
      granted += 1;
      return permit;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(granted, 0, 'nothing while paused');
  // Each acquire pumps the queue at the clock's time; the extra waiters queue behind the twelve.
  const pumpAt = async (ms: number) => {
    now = ms;
    waiters.push(limiter.acquire().then((permit) => ((granted += 1), permit)));
    await new Promise((resolve) => setImmediate(resolve));
  };
  await pumpAt(1040);
  assert.equal(granted, 1, 'the pause ended: one request');
  await pumpAt(1040 + probeMs - 1);
  assert.equal(granted, 1, 'no more within the first probe interval');
  await pumpAt(1040 + probeMs);
  assert.equal(granted, 2);
  await pumpAt(1040 + 2 * probeMs);
  assert.equal(granted, 4);
  // A 429 while reopening: a new pause, and the reopening after it starts again from one.
  const permits = await Promise.all(waiters.slice(0, 4));
  now = 1040 + 2 * probeMs + 1;
  limiter.release(permits[3], 'throttled', 'budget');
  limiter.pause(500);
  await pumpAt(now + 500);
  assert.equal(granted, 5, 'one request after the second pause');
  await pumpAt(now + 4 * limiter.lane(0).limit * 1000);
  // Reopened: the limit (8, no growth from a 429) is what bounds it now, not the allowance.
  assert.equal(limiter.inFlight, 8);
  limiter.close(new Error('closed'));
  await Promise.allSettled(waiters);
});

test('a reopening lane starts its waiters by itself as the probe intervals pass', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 4 });
  limiter.pause(5);
  const permits = await Promise.all([1, 2, 3, 4].map(() => limiter.acquire()));
  assert.equal(limiter.inFlight, 4);
  for (const permit of permits) limiter.release(permit, 'success');
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

test('several identities: a request starts on the lane with the most free slots, ties to the least used', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 2, lanes: 2 });
  const lanes = [];
  for (let i = 0; i < 4; i += 1) lanes.push((await limiter.acquire()).lane);
  // Alternates while both have equal room (not all on the first), and fills both lanes' slots.
  assert.deepEqual(lanes, [0, 1, 0, 1]);
  assert.equal(limiter.inFlight, 4);
  assert.equal(limiter.limit, 4);
  let fifth: number | undefined;
  const pending = limiter.acquire().then((permit) => (fifth = permit.lane));
  await Promise.resolve();
  assert.equal(fifth, undefined, 'every lane is full');
  limiter.release({ startedAt: 0, lane: 1 }, 'failure');
  await pending;
  assert.equal(fifth, 1, 'the lane that freed a slot takes the waiter');
});

test('several identities: a lane in a Retry-After pause is skipped while another has room', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 4, lanes: 2 });
  limiter.pause(60_000, 0);
  assert.ok(limiter.lane(0).pausedUntil > 0);
  assert.equal(limiter.lane(1).pausedUntil, 0);
  const permits = await Promise.all([1, 2, 3, 4].map(() => limiter.acquire()));
  assert.deepEqual(
    permits.map((permit) => permit.lane),
    [1, 1, 1, 1],
  );
  // A concurrency 429 on lane 1 halves lane 1 only.
  limiter.release(permits[0], 'throttled', 'concurrency');
  assert.equal(limiter.lane(1).limit, 2);
  assert.equal(limiter.lane(0).limit, 4);
  // With lane 1 full too, the next request waits for a slot rather than starting on the paused lane.
  let started = false;
  const waiting = limiter.acquire().then(() => (started = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(started, false);
  assert.equal(limiter.lane(0).inFlight, 0);
  limiter.close(new Error('closed'));
  await assert.rejects(waiting, /closed/);
});

test('several identities: a request pinned to a lane waits for it without holding up the others', async () => {
  const limiter = new ConcurrencyLimiter({ initial: 1, lanes: 2 });
  const first = await limiter.acquire(undefined, { lane: 0 });
  assert.equal(first.lane, 0);
  const order: string[] = [];
  const pinned = limiter
    .acquire(undefined, { lane: 0 })
    .then((permit) => order.push(`pinned:${permit.lane}`));
  const free = limiter.acquire().then((permit) => order.push(`free:${permit.lane}`));
  await free;
  assert.deepEqual(order, ['free:1'], 'the unpinned request passed the one waiting for lane 0');
  limiter.release(first, 'success');
  await pinned;
  assert.deepEqual(order, ['free:1', 'pinned:0']);
  assert.throws(() => limiter.acquire(undefined, { lane: 2 }), /No identity 2/);
});
