import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { SynclineError } from '../../src/errors/syncline-error.ts';
import { syncAdminDouble } from './sync-admin-double.ts';
import { auth, buildTestServer } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';

// GET /metrics (interfaces.md §4): Prometheus text with process, HTTP and sync metrics (B6.5), per app.
const double = syncAdminDouble();
let app: ApiApp;

before(async () => {
  app = await buildTestServer(tripwireStore().store, { syncAdmin: double.admin });
});
after(() => app.close());

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the text exposition format strictly: every line is a HELP/TYPE comment or a well-formed sample. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    // Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes Nan).
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|nan|[+-]?inf)$/i.exec(line);
    assert.ok(match, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(target: ApiApp = app): Promise<Sample[]> {
  const response = await target.inject({ method: 'GET', url: '/metrics', headers: auth });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseExposition(response.body);
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, label]) => sample.labels[key] === label),
  )?.value;
}

test('the sync gauges are read from the engine status on every scrape (B6.5)', async () => {
  const samples = await scrape();
  assert.equal(value(samples, 'syncline_sync_up'), 1);
  assert.equal(value(samples, 'syncline_sync_enabled'), 1);
  assert.equal(value(samples, 'syncline_sync_passes_completed'), 7);
  assert.equal(value(samples, 'syncline_sync_initial_load_done'), 1);
  assert.equal(value(samples, 'syncline_sync_state', { state: 'idle' }), 1);
  assert.equal(value(samples, 'syncline_sync_state', { state: 'running' }), 0);
  assert.equal(value(samples, 'syncline_sync_pending_to_crm', { entity: 'contact' }), 3);
  assert.equal(value(samples, 'syncline_sync_pending_to_crm', { entity: 'lead' }), 0);
  assert.equal(value(samples, 'syncline_sync_pending_from_crm', { entity: 'lead' }), 5);
  // The CRM does not tell the contact backlog (null): no number is made up for it.
  assert.equal(value(samples, 'syncline_sync_pending_from_crm', { entity: 'contact' }), undefined);
  assert.equal(value(samples, 'syncline_sync_synced_last_hour', { entity: 'contact' }), 42);
  assert.equal(value(samples, 'syncline_sync_backlog_growing', { entity: 'lead' }), 1);

  double.data.status = {
    ...double.data.status,
    enabled: false,
    state: 'disabled',
    passes: { ...double.data.status.passes, completed: 8 },
  };
  const later = await scrape();
  assert.equal(value(later, 'syncline_sync_enabled'), 0);
  assert.equal(value(later, 'syncline_sync_passes_completed'), 8);
  assert.equal(value(later, 'syncline_sync_state', { state: 'disabled' }), 1);
  assert.equal(value(later, 'syncline_sync_state', { state: 'idle' }), 0);
});

test('throttling is reported per application user, labelled by position; the systemuser in an info series', async () => {
  const before = double.data.status;
  const identity = (number: number, throttled: number, retryAfterUntil: string | null) => ({
    number,
    name: `# Syncline Sync ${number}`,
    userId: `d96e9f55-f06d-e511-80d0-00155db07cb${number}`,
    requests: 100 * number,
    retries: throttled,
    throttled,
    concurrencyLimit: 8,
    inFlight: 0,
    retryAfterUntil,
  });
  double.data.status = {
    ...before,
    crm: { identities: [identity(1, 7, new Date(Date.now() + 30_000).toISOString()), identity(2, 0, null)] },
  };
  try {
    const samples = await scrape();
    assert.equal(value(samples, 'syncline_crm_throttled_total', { identity: '1' }), 7);
    assert.equal(value(samples, 'syncline_crm_throttled_total', { identity: '2' }), 0);
    assert.equal(value(samples, 'syncline_crm_requests_total', { identity: '2' }), 200);
    const held = value(samples, 'syncline_crm_retry_after_seconds', { identity: '1' }) ?? 0;
    assert.ok(held > 25 && held <= 30, `held ${held} s`);
    assert.equal(value(samples, 'syncline_crm_retry_after_seconds', { identity: '2' }), 0);
    assert.equal(
      value(samples, 'syncline_crm_identity_info', { identity: '2', user: '# Syncline Sync 2' }),
      1,
    );
    // A second scrape reports the same totals (copied, not added up).
    assert.equal(value(await scrape(), 'syncline_crm_throttled_total', { identity: '1' }), 7);
  } finally {
    double.data.status = before;
  }
  assert.equal(value(await scrape(), 'syncline_crm_throttled_total', { identity: '1' }), undefined);
});

test('default process metrics are included', async () => {
  const names = new Set((await scrape()).map((sample) => sample.name));
  for (const name of [
    'process_cpu_user_seconds_total',
    'process_start_time_seconds',
    'nodejs_heap_size_used_bytes',
  ]) {
    assert.ok(names.has(name), `${name} missing`);
  }
});

test('HTTP requests are counted and timed by route pattern and status, unknown URLs as one label', async () => {
  const before = await scrape();
  const id = '0190a5f0-0000-7000-8000-000000000009';
  await app.inject({ method: 'GET', url: '/api/v1/sync/status', headers: auth });
  await app.inject({ method: 'GET', url: '/api/v1/sync/status' });
  await app.inject({ method: 'POST', url: `/api/v1/sync/errors/${id}/retry`, headers: auth });
  await app.inject({ method: 'GET', url: '/api/v1/no/such/route', headers: auth });
  const after = await scrape();
  const delta = (labels: Record<string, string>) =>
    (value(after, 'syncline_http_requests_total', labels) ?? 0) -
    (value(before, 'syncline_http_requests_total', labels) ?? 0);
  assert.equal(delta({ method: 'GET', route: '/api/v1/sync/status', status: '200' }), 1);
  assert.equal(delta({ method: 'GET', route: '/api/v1/sync/status', status: '401' }), 1);
  assert.equal(delta({ method: 'POST', route: '/api/v1/sync/errors/:id/retry', status: '404' }), 1);
  assert.equal(delta({ method: 'GET', route: 'unmatched', status: '404' }), 1);
  assert.ok(!after.some((sample) => sample.labels.route?.includes(id)), 'raw URLs must not become labels');
  const count = value(after, 'syncline_http_request_duration_seconds_count', {
    method: 'GET',
    route: '/api/v1/sync/status',
    status: '200',
  });
  assert.ok(count !== undefined && count >= 1);
});

test('an engine that cannot answer its status → syncline_sync_up 0 and no stale sync numbers', async () => {
  double.data.failures.status = new SynclineError('STORE_UNAVAILABLE', 'The database cannot be reached.');
  try {
    const samples = await scrape();
    assert.equal(value(samples, 'syncline_sync_up'), 0);
    assert.equal(value(samples, 'syncline_sync_pending_to_crm', { entity: 'contact' }), undefined);
    assert.equal(value(samples, 'syncline_sync_state', { state: 'disabled' }), undefined);
    assert.ok(samples.some((sample) => sample.name === 'process_cpu_user_seconds_total'));
  } finally {
    delete double.data.failures.status;
  }
});

test('two apps in one process keep separate registries', async () => {
  const other = await buildTestServer(tripwireStore().store);
  try {
    const route = { method: 'GET', route: '/api/v1/sync/status', status: '200' };
    await app.inject({ method: 'GET', url: '/api/v1/sync/status', headers: auth });
    assert.ok((value(await scrape(), 'syncline_http_requests_total', route) ?? 0) >= 1);
    const otherSamples = await scrape(other);
    assert.equal(value(otherSamples, 'syncline_http_requests_total', route), undefined);
    assert.equal(value(otherSamples, 'syncline_sync_up'), 0);
  } finally {
    await other.close();
  }
});
