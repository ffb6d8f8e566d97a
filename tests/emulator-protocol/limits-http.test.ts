import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { adminToken, openEmulator, syncToken } from '../emulator/emulator-test-context.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';

// Service protection limits and faults over real HTTP (reference §6, interfaces.md §7, docs/emulator-limits.md).
let ctx: Awaited<ReturnType<typeof openEmulator>>;

before(async () => {
  ctx = await openEmulator();
});
after(() => ctx.close());

const put = (what: 'limits' | 'faults', body: unknown, token = adminToken) =>
  ctx.request('PUT', `/_emulator/${what}`, { token, body });

beforeEach(async () => {
  assert.equal((await put('limits', {})).status, 200);
  assert.equal((await put('faults', {})).status, 200);
});

const read = () => ctx.request('GET', 'accounts?$top=1&$select=name');

test('429 storm: requests beyond requestsPerWindow get 0x80072322 with the exact message and Retry-After', async () => {
  await put('limits', { requestsPerWindow: 5, windowSeconds: 120 });
  const results = await Promise.all(Array.from({ length: 12 }, read));
  const ok = results.filter((r) => r.status === 200);
  const throttled = results.filter((r) => r.status === 429);
  assert.equal(ok.length, 5);
  assert.equal(throttled.length, 7);
  for (const response of throttled) {
    assert.deepEqual(response.json, {
      error: {
        code: '0x80072322',
        message: 'Number of requests exceeded the limit of 5 over time window of 120 seconds.',
      },
    });
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120,
      `Retry-After ${retryAfter}`,
    );
  }
  assert.equal(ok[0].headers.has('x-ms-ratelimit-burst-remaining-xrm-requests'), true);
  // Limits are per user: the administrator is not throttled by the sync user's window.
  assert.equal((await ctx.request('GET', 'accounts?$top=1', { token: adminToken })).status, 200);
  const stats = await ctx.request('GET', '/_emulator/stats', { token: adminToken });
  assert.ok(stats.json.throttled >= 7, JSON.stringify(stats.json));
});

test('execution-time limit: the cost model charges rows read, 0x80072321 once exceeded', async () => {
  // Each read of one row costs 10 + 1 × 40 = 50 ms; the window allows 120 ms.
  await put('limits', { executionMsPerWindow: 120, msPerRequest: 10, msPerRecordRead: 40 });
  for (let i = 0; i < 3; i++) assert.equal((await read()).status, 200, `request ${i + 1}`); // 50, 100, 150
  const throttled = await read();
  assert.equal(throttled.status, 429);
  assert.equal(throttled.json.error.code, '0x80072321');
  assert.equal(
    throttled.json.error.message,
    'Combined execution time of incoming requests exceeded limit of 120  milliseconds over time window of 300 ' +
      'seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
  );
  assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
});

test('concurrency limit rejects immediately with 0x80072326', async () => {
  // Each request is held for 1.5 s of simulated execution, so the four sent together overlap.
  await put('limits', { maxConcurrent: 1, msPerRequest: 1500 });
  const results = await Promise.all(Array.from({ length: 4 }, read));
  assert.equal(results.filter((r) => r.status === 200).length, 1);
  for (const response of results.filter((r) => r.status === 429)) {
    assert.equal(response.json.error.code, '0x80072326');
    assert.equal(response.json.error.message, 'Number of concurrent requests exceeded the limit of 1.');
    assert.equal(response.headers.get('retry-after'), '1');
  }
});

test('a $batch counts as one request', async () => {
  await put('limits', { requestsPerWindow: 2 });
  const part = ['--b', 'Content-Type: application/http', '', 'GET accounts?$top=1 HTTP/1.1', ''].join('\n');
  const batch = await fetch(`${ctx.api}$batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${syncToken}`, 'Content-Type': 'multipart/mixed; boundary=b' },
    body: part.repeat(3) + '--b--\n',
  });
  assert.equal(batch.status, 200);
  assert.equal((await read()).status, 200);
  assert.equal((await read()).status, 429);
});

test('control routes: admin only, bodies validated, settings readable', async () => {
  assert.equal((await put('limits', { requestsPerWindow: 1 }, 'emulator-sync-token')).status, 403);
  assert.equal((await ctx.request('PUT', '/_emulator/limits', { token: null, body: {} })).status, 401);
  const bad = await put('limits', { requestsPerWindow: -3, bogus: true });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /requestsPerWindow must not be negative/);
  assert.match(bad.json.error.message, /unknown setting bogus/);
  const notJson = await ctx.request('PUT', '/_emulator/faults', { token: adminToken, body: '{nope' });
  assert.equal(notJson.status, 400);
  assert.match(notJson.json.error.message, /valid JSON/);
  assert.equal((await put('faults', { http5xxRate: 2 })).status, 400);
  await put('faults', { seed: 5, latencyMs: 3 });
  const current = await ctx.request('GET', '/_emulator/faults', { token: adminToken });
  assert.deepEqual(current.json, {
    seed: 5,
    http5xxRate: 0,
    dropAfterCommitRate: 0,
    latencyMs: 3,
    latencyJitterMs: 0,
  });
});

test('an injected 5xx happens before executing: nothing is applied', async () => {
  await put('faults', { http5xxRate: 1 });
  const failed = await ctx.request('POST', 'contacts', { body: { lastname: 'Neverstored' } });
  assert.equal(failed.status, 503);
  assert.equal(failed.json.error.code, '0x80040216');
  await put('faults', {});
  const found = await ctx.request('GET', "contacts?$select=lastname&$filter=lastname eq 'Neverstored'");
  assert.deepEqual(found.json.value, []);
});

test('drop-after-commit: the write is applied, the client sees a socket error', async () => {
  await put('faults', { dropAfterCommitRate: 1, seed: 1 });
  await assert.rejects(
    ctx.request('POST', 'contacts', { body: { lastname: 'Droppedafter' } }),
    (error: Error) => {
      assert.equal(error.name, 'TypeError'); // undici: "fetch failed", caused by the closed socket
      assert.ok(error.cause, 'a socket-level cause');
      return true;
    },
  );
  assert.equal((await read()).status, 200, 'reads are not dropped');
  await put('faults', {});
  const found = await ctx.request('GET', "contacts?$select=lastname&$filter=lastname eq 'Droppedafter'");
  assert.equal(found.json.value.length, 1, 'the write was committed');
});

test('GET /_emulator/stats reports throttles per limit and per user, and faults injected by kind', async () => {
  const stats = async () => (await ctx.request('GET', '/_emulator/stats', { token: adminToken })).json;
  const before = await stats();
  await put('limits', { requestsPerWindow: 1, windowSeconds: 120 });
  await read();
  assert.equal((await read()).status, 429);
  await put('limits', {});
  await put('faults', { http5xxRate: 1 });
  assert.equal((await read()).status, 503);
  await put('faults', { dropAfterCommitRate: 1, seed: 1 });
  await assert.rejects(ctx.request('POST', 'contacts', { body: { lastname: 'Counted' } }));
  await put('faults', { latencyMs: 5 });
  assert.equal((await read()).status, 200);
  assert.equal((await ctx.request('GET', 'accounts?$top=1', { token: adminToken })).status, 200);
  await put('faults', {});
  const after = await stats();
  const syncUser = emulatorFixtures.syncUserId;
  assert.equal(after.throttledPerLimit.requests - before.throttledPerLimit.requests, 1);
  assert.equal(
    after.throttledPerUser[syncUser].requests - (before.throttledPerUser[syncUser]?.requests ?? 0),
    1,
  );
  assert.equal(
    after.throttledPerUser[emulatorFixtures.adminUserId],
    undefined,
    'the admin was not throttled',
  );
  assert.equal(after.faults.http5xx - before.faults.http5xx, 1);
  assert.equal(after.faults.droppedAfterCommit - before.faults.droppedAfterCommit, 1);
  // Injected latency counts per response (the PUT /_emulator/faults calls are not Web API requests).
  assert.equal(after.faults.latency - before.faults.latency, 2);
  assert.ok(after.faults.latencyMsTotal - before.faults.latencyMsTotal >= 10);
  // Faults per user and kind (docs/emulator-limits.md, interfaces.md §7).
  const faultsOf = (s: any, user: string) =>
    s.faultsPerUser[user] ?? { http5xx: 0, droppedAfterCommit: 0, latency: 0 };
  assert.deepEqual(
    {
      http5xx: faultsOf(after, syncUser).http5xx - faultsOf(before, syncUser).http5xx,
      droppedAfterCommit:
        faultsOf(after, syncUser).droppedAfterCommit - faultsOf(before, syncUser).droppedAfterCommit,
      latency: faultsOf(after, syncUser).latency - faultsOf(before, syncUser).latency,
    },
    { http5xx: 1, droppedAfterCommit: 1, latency: 1 },
  );
  const admin = emulatorFixtures.adminUserId;
  assert.equal(faultsOf(after, admin).latency - faultsOf(before, admin).latency, 1);
  assert.equal(faultsOf(after, admin).http5xx - faultsOf(before, admin).http5xx, 0);
  // Every field the docs name is there (the chaos harness reads faults.droppedWrites and webhooks).
  for (const key of [
    'requests',
    'throttled',
    'admitted',
    'admittedPerUser',
    'throttledPerLimit',
    'throttledPerUser',
    'faults',
    'faultsPerUser',
    'webhooks',
    'version',
    'rows',
  ])
    assert.ok(key in after, `stats.${key}`);
  assert.deepEqual(Object.keys(after.faults).sort(), [
    'droppedAfterCommit',
    'droppedWrites',
    'http5xx',
    'latency',
    'latencyMsTotal',
  ]);
  assert.deepEqual(Object.keys(after.throttledPerLimit).sort(), ['concurrency', 'executionTime', 'requests']);
  assert.equal(typeof after.rows.contact, 'number');
  assert.deepEqual(Object.keys(after.webhooks).sort(), [
    'delivered',
    'dropped',
    'failed',
    'reordered',
    'retried',
  ]);
});
