import assert from 'node:assert/strict';
import { test } from 'node:test';
import { putFaults, putLimits } from './control-routes.ts';
import { faultSettingsSchema, limitsSettingsSchema } from './limits-settings.ts';
import { TrafficControl, type Admission, type RequestTicket } from './traffic-control.ts';

/** A clock the test moves by hand; `sleep` records the delay and advances time by it. */
function fakeClock() {
  const clock = {
    t: 1_000_000,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

function setup(limits: Record<string, number> = {}, faults: Record<string, number> = {}) {
  const clock = fakeClock();
  const traffic = new TrafficControl({ clock });
  traffic.configureLimits(limitsSettingsSchema.parse(limits));
  traffic.configureFaults(faultSettingsSchema.parse(faults));
  return { clock, traffic };
}

function admitted(admission: Admission): RequestTicket {
  assert.ok(
    admission.admitted,
    `expected admission, got ${admission.admitted ? '' : admission.response.body}`,
  );
  return admission.ticket;
}

function rejected(admission: Admission) {
  assert.ok(!admission.admitted, 'expected a rejection');
  const body = JSON.parse(admission.response.body) as { error: { code: string; message: string } };
  return { status: admission.response.status, headers: admission.response.headers, ...body.error };
}

const noRows = { rowsRead: 0, rowsWritten: 0 };

test('everything is off by default: no throttling, no delay, no debug headers', async () => {
  const { clock, traffic } = setup();
  for (let i = 0; i < 10_000; i++) {
    const ticket = admitted(traffic.admit('sync'));
    assert.deepEqual(ticket.headers, {});
    assert.deepEqual(await ticket.finish({ rowsRead: 5000, rowsWritten: 5 }), {
      dropConnection: false,
      executionMs: 0,
    });
  }
  assert.deepEqual(clock.slept, []);
});

test('request limit: the request beyond the limit gets 429 0x80072322 with the exact message and Retry-After', async () => {
  const { clock, traffic } = setup({ requestsPerWindow: 3, windowSeconds: 10 });
  for (let i = 0; i < 3; i++) {
    await admitted(traffic.admit('sync')).finish(noRows);
    clock.t += 1000;
  }
  // Requests were admitted at t0, t0+1s, t0+2s; now = t0+3s. The first leaves the window at t0+10s.
  const error = rejected(traffic.admit('sync'));
  assert.equal(error.status, 429);
  assert.equal(error.code, '0x80072322');
  assert.equal(error.message, 'Number of requests exceeded the limit of 3 over time window of 10 seconds.');
  assert.equal(error.headers['Retry-After'], '7');
  assert.equal(traffic.stats().throttled.requests, 1);
  admitted(traffic.admit('admin')); // limits are per user
  clock.t += 7000;
  admitted(traffic.admit('sync'));
});

test('execution-time limit trips only after being exceeded, with 0x80072321 and the exact message', async () => {
  const { clock, traffic } = setup({ executionMsPerWindow: 1000, msPerRequest: 400 });
  const start = clock.t;
  for (let i = 0; i < 3; i++) {
    // 400, 800 (under), 1200 (over, but it was admitted while the window held 800)
    const result = await admitted(traffic.admit('sync')).finish(noRows);
    assert.equal(result.executionMs, 400);
  }
  assert.deepEqual(clock.slept, [400, 400, 400], 'the response is really delayed by the execution time');
  const error = rejected(traffic.admit('sync'));
  assert.equal(error.code, '0x80072321');
  assert.equal(
    error.message,
    'Combined execution time of incoming requests exceeded limit of 1,000  milliseconds over time window of ' +
      '300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
  );
  // Once the first request (admitted at `start`) leaves the default 300 s window, 800 ms remain: not above.
  const expectedSeconds = Math.ceil((start + 300_000 - clock.t) / 1000);
  assert.equal(error.headers['Retry-After'], String(expectedSeconds));
});

test('concurrency limit rejects immediately with 0x80072326 and frees the slot on finish', async () => {
  const { traffic } = setup({ maxConcurrent: 2 });
  const first = admitted(traffic.admit('sync'));
  admitted(traffic.admit('sync'));
  const error = rejected(traffic.admit('sync'));
  assert.equal(error.code, '0x80072326');
  assert.equal(error.message, 'Number of concurrent requests exceeded the limit of 2.');
  assert.equal(error.headers['Retry-After'], '1');
  await first.finish(noRows);
  admitted(traffic.admit('sync'));
});

test('cost model: msPerRequest × operations + rows read × msPerRecordRead + rows written × msPerRecordWrite', async () => {
  const { clock, traffic } = setup({ msPerRequest: 5, msPerRecordRead: 2, msPerRecordWrite: 10 });
  assert.equal((await admitted(traffic.admit('u')).finish({ rowsRead: 3, rowsWritten: 1 })).executionMs, 21);
  // A $batch of 4 inner requests counts as one request but its execution time in full.
  assert.equal(
    (await admitted(traffic.admit('u')).finish({ rowsRead: 0, rowsWritten: 4, operations: 4 })).executionMs,
    60,
  );
  assert.deepEqual(clock.slept, [21, 60]);
  assert.equal(traffic.stats().admitted, 2);
});

test('debug headers report the remaining requests and execution time', async () => {
  const { traffic } = setup({ requestsPerWindow: 10, executionMsPerWindow: 100, msPerRequest: 30 });
  await admitted(traffic.admit('u')).finish(noRows);
  assert.deepEqual(admitted(traffic.admit('u')).headers, {
    'x-ms-ratelimit-burst-remaining-xrm-requests': '8',
    'x-ms-ratelimit-time-remaining-xrm-requests': '70',
  });
});

test('seeded 5xx faults fail requests before execution, reproducibly', () => {
  const decisions = (seed: number) => {
    const { traffic } = setup({}, { seed, http5xxRate: 0.3 });
    return Array.from({ length: 200 }, () => {
      const admission = traffic.admit('u');
      if (admission.admitted) return 'ok';
      assert.equal(admission.response.status, 503);
      assert.match(admission.response.body, /"code":"0x80040216"/);
      return 'fail';
    });
  };
  const first = decisions(42);
  assert.deepEqual(decisions(42), first, 'the same seed gives the same faults');
  assert.notDeepEqual(decisions(7), first, 'another seed gives other faults');
  const failures = first.filter((d) => d === 'fail').length;
  assert.ok(failures > 20 && failures < 100, `about 30% fail (${failures}/200)`);
  const { traffic } = setup({}, { http5xxRate: 1 });
  assert.equal(traffic.admit('u').admitted, false);
  assert.equal(traffic.stats().faults.http5xx, 1);
});

test('drop-after-commit only drops requests that wrote something', async () => {
  const { traffic } = setup({}, { dropAfterCommitRate: 1 });
  assert.equal(
    (await admitted(traffic.admit('u')).finish({ rowsRead: 10, rowsWritten: 0 })).dropConnection,
    false,
  );
  assert.equal(
    (await admitted(traffic.admit('u')).finish({ rowsRead: 0, rowsWritten: 1 })).dropConnection,
    true,
  );
  assert.equal(traffic.stats().faults.droppedAfterCommit, 1);
});

test('latency adds latencyMs plus up to latencyJitterMs', async () => {
  const { clock, traffic } = setup({}, { latencyMs: 50, latencyJitterMs: 100, seed: 3 });
  for (let i = 0; i < 20; i++) await admitted(traffic.admit('u')).finish(noRows);
  assert.equal(clock.slept.length, 20);
  for (const ms of clock.slept) assert.ok(ms >= 50 && ms <= 150, `${ms} within 50..150`);
  assert.ok(new Set(clock.slept).size > 1, 'jitter varies');
});

test('a ticket cannot be finished twice', async () => {
  const { traffic } = setup();
  const ticket = admitted(traffic.admit('u'));
  await ticket.finish(noRows);
  await assert.rejects(ticket.finish(noRows), /called twice/);
});

test('control routes validate bodies and apply settings', () => {
  const { traffic } = setup();
  const bad = putLimits(traffic, { requestsPerWindow: -1, maxConcurrent: 'many', extra: 1 });
  assert.equal(bad.status, 400);
  const message = (JSON.parse(bad.body) as { error: { message: string } }).error.message;
  assert.match(message, /^Invalid limits: /);
  assert.match(message, /requestsPerWindow must not be negative/);
  assert.match(message, /maxConcurrent must be a number/);
  assert.match(message, /unknown setting extra/);
  assert.equal(putLimits(traffic, [1]).status, 400);
  assert.equal(putFaults(traffic, { http5xxRate: 1.5 }).status, 400);

  const ok = putLimits(traffic, { requestsPerWindow: 5, windowSeconds: 60 });
  assert.equal(ok.status, 200);
  assert.equal(traffic.limits.requestsPerWindow, 5);
  assert.equal((JSON.parse(ok.body) as { maxConcurrent: number }).maxConcurrent, 0);
  assert.equal(putFaults(traffic, { seed: 9, latencyMs: 10 }).status, 200);
  assert.equal(traffic.faults.latencyMs, 10);
});

test('the time spent building an answer counts towards its modelled execution time, not on top of it', async () => {
  const { clock, traffic } = setup({ msPerRequest: 20, msPerRecordRead: 0.4 }, { latencyMs: 80 });
  const page = admitted(traffic.admit('sync'));
  clock.t += 500; // reading and serialising 5,000 rows took 0.5 s of real time
  assert.equal((await page.finish({ rowsRead: 5000, rowsWritten: 0 })).executionMs, 2020);
  const slow = admitted(traffic.admit('sync'));
  clock.t += 3000; // longer than modelled: no extra wait, only the latency
  await slow.finish({ rowsRead: 5000, rowsWritten: 0 });
  assert.deepEqual(clock.slept, [1520 + 80, 80]);
});
