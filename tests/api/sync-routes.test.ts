import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { SynclineError } from '../../src/errors/syncline-error.ts';
import { registeredRoutes } from '../../src/api/server.ts';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { syncAdminDouble, syncError, syncStatus, type SyncAdminData } from './sync-admin-double.ts';
import { auth, buildTestServer, jsonRequest } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';
import type { SyncFieldView } from '../../src/domain/sync-field.ts';
import type { ConflictRecord, NotificationRecord, PassRecord } from '../../src/store/run-log-store.ts';

// The sync-administration routes (interfaces.md §4) tested at the SyncAdmin port: a recording double stands in
// for the engine, and the store is a tripwire (the routes must never reach the database themselves).
const personId = '0190a5f0-0000-7000-8000-0000000000aa';
const crmId = '0190a5f0-0000-7000-8000-0000000000bb';

const passes: PassRecord[] = [3, 2, 1].map((n) => ({
  id: `pass-${n}`,
  trigger: n === 3 ? 'manual' : 'schedule',
  status: n === 2 ? 'failed' : 'succeeded',
  startedAt: `2024-05-01T0${n}:00:00.000Z`,
  finishedAt: `2024-05-01T0${n}:01:00.000Z`,
  counts: { 'contact.fromCrm.updated': n * 10 },
  error: n === 2 ? 'CRM unreachable' : null,
}));

const field = (entity: string, attribute: string, selected: boolean): SyncFieldView => ({
  entity,
  attribute,
  personField: attribute === 'new_tier' ? 'new_tier' : 'phone',
  type: 'string',
  access: { read: true, create: true, update: attribute !== 'new_tier' },
  selected,
  state: selected ? 'synced' : 'available',
  policy: attribute === 'telephone1' ? 'crm-wins' : null,
  stateReason: null,
});

const conflicts: ConflictRecord[] = [
  {
    id: 'c2',
    at: '2024-05-01T10:00:00.000Z',
    personId,
    entity: 'contact',
    crmId,
    field: 'phone',
    baseValue: '1',
    marketingValue: '2',
    crmValue: '3',
    winner: 'crm',
  },
  {
    id: 'c1',
    at: '2024-05-01T09:00:00.000Z',
    personId: '0190a5f0-0000-7000-8000-0000000000cc',
    entity: 'lead',
    crmId,
    field: 'annualRevenue',
    baseValue: null,
    marketingValue: 10.5,
    crmValue: 11,
    winner: 'marketing',
  },
];

const notifications: NotificationRecord[] = [
  {
    id: 'n1',
    type: 'initial-load-done',
    message: 'The initial load is done: 1,200 records.',
    details: { records: 1200 },
    at: '2024-05-01T08:00:00.000Z',
    readAt: null,
    // B6.6: the delivery state travels with the notification.
    delivery: {
      status: 'pending',
      attempts: 2,
      nextAttemptAt: '2024-05-01T08:00:04.000Z',
      lastError: 'HTTP 500 from the receiver: busy',
      deliveredAt: null,
    },
  },
];

function freshData(): Partial<SyncAdminData> {
  return {
    passes: [...passes],
    fields: [field('lead', 'telephone1', true), field('lead', 'new_tier', false)],
    errors: [syncError(1), syncError(2, { entity: 'lead', message: 'Length exceeded' }), syncError(3)],
    conflicts: [...conflicts],
    notifications: [...notifications],
    preview: {
      toCrm: [{ entity: 'contact', crmId, personId, operation: 'update', fields: { telephone1: '555' } }],
      toMarketing: [
        { entity: 'lead', crmId: null, personId: null, operation: 'create', fields: { email: 'x@y.z' } },
      ],
      truncated: false,
    },
  };
}

let app: ApiApp;
let double = syncAdminDouble();

before(async () => {
  // The app is built once; each test gets a fresh double behind the same stable reference.
  const admin = new Proxy(double.admin, { get: (_target, property) => Reflect.get(double.admin, property) });
  app = await buildTestServer(tripwireStore().store, { syncAdmin: admin });
});
after(() => app.close());
beforeEach(() => {
  double = syncAdminDouble(freshData());
});

async function send(request: InjectOptions): Promise<{ status: number; body: any }> {
  const response = await app.inject(request);
  return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
}
const get = (url: string) => send({ method: 'GET', url, headers: auth });
const post = (url: string, body?: unknown) =>
  send(body === undefined ? { method: 'POST', url, headers: auth } : jsonRequest('POST', url, body));
const put = (url: string, body: unknown) => send(jsonRequest('PUT', url, body));

/** A rejected request answers 400 with the code and reaches nothing in the engine. */
async function expectRejected(request: Promise<{ status: number; body: any }>, code = 'VALIDATION_FAILED') {
  const response = await request;
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.equal(response.body.error.code, code);
  assert.ok(response.body.error.message.length > 10, response.body.error.message);
  assert.deepEqual(double.calls, [], 'a rejected request must not reach the engine');
}

describe('status and control (B6.5, B8.1, B8.2)', () => {
  test('GET /sync/status answers the engine status with every field (B6.5)', async () => {
    const response = await get('/api/v1/sync/status');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, syncStatus());
    assert.deepEqual(double.calls, [{ method: 'status', args: [] }]);
  });

  test('POST /sync/disable and /sync/enable switch the sync and answer the new status (B8.1)', async () => {
    const disabled = await post('/api/v1/sync/disable');
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.enabled, false);
    assert.equal(disabled.body.state, 'disabled');
    const enabled = await post('/api/v1/sync/enable', {});
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.enabled, true);
    assert.deepEqual(
      double.calls.map((call) => [call.method, call.args]),
      [
        ['setEnabled', [false]],
        ['setEnabled', [true]],
      ],
    );
  });

  test('POST /sync/passes asks for a pass now → 202 {requested:true} (B8.2)', async () => {
    const response = await post('/api/v1/sync/passes');
    assert.equal(response.status, 202);
    assert.deepEqual(response.body, { requested: true });
    assert.deepEqual(double.calls, [{ method: 'requestPass', args: [] }]);
  });

  test('GET /sync/passes pages the history with counts and errors (B6.5)', async () => {
    const first = await get('/api/v1/sync/passes?limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.items, passes.slice(0, 2));
    const rest = await get(`/api/v1/sync/passes?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(rest.body, { items: passes.slice(2), nextCursor: null });
    assert.deepEqual(double.calls[0], { method: 'listPasses', args: [{ limit: 2 }] });
    const defaults = await get('/api/v1/sync/passes');
    assert.equal(defaults.body.items.length, 3);
    assert.deepEqual(double.calls.at(-1), { method: 'listPasses', args: [{ limit: 100 }] });
  });

  test('GET /sync/passes with a bad limit or an unknown parameter → 400', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=two', 'page=2', 'cursor=']) {
      await expectRejected(get(`/api/v1/sync/passes?${query}`));
    }
  });

  test('an engine error passes through with its code: a forged cursor → 400, an unreachable CRM → 502', async () => {
    const forged = await get('/api/v1/sync/passes?cursor=forged');
    assert.equal(forged.status, 400);
    assert.equal(forged.body.error.code, 'INVALID_CURSOR');
    double.data.failures.status = new SynclineError('CRM_UNREACHABLE', 'The CRM could not be reached.');
    const unreachable = await get('/api/v1/sync/status');
    assert.equal(unreachable.status, 502);
    assert.equal(unreachable.body.error.code, 'CRM_UNREACHABLE');
  });
});

describe('resync and preview (B8.2)', () => {
  test('POST /sync/resync {personId} resyncs the person and answers what was written', async () => {
    const response = await post('/api/v1/sync/resync', { personId });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      personId,
      entity: 'contact',
      crmId: 'c-1',
      toMarketing: ['email'],
      toCrm: [],
    });
    assert.deepEqual(double.calls, [{ method: 'resync', args: [{ personId }] }]);
  });

  test('POST /sync/resync {entity, crmId} resyncs the CRM record', async () => {
    const response = await post('/api/v1/sync/resync', { entity: 'lead', crmId });
    assert.equal(response.status, 200);
    assert.equal(response.body.crmId, crmId);
    assert.deepEqual(response.body.toCrm, ['phone']);
    assert.deepEqual(double.calls, [{ method: 'resync', args: [{ entity: 'lead', crmId }] }]);
  });

  test('POST /sync/resync needs exactly one well-formed form, else 400', async () => {
    const bodies = [
      {},
      { personId, entity: 'lead', crmId },
      { personId, crmId },
      { entity: 'lead' },
      { crmId },
      { entity: 'account', crmId },
      { entity: 'lead', crmId: 'not-a-guid' },
      { personId: 'not-a-uuid' },
      { personId: 42 },
      { personId, extra: true },
      [personId],
    ];
    for (const body of bodies) await expectRejected(post('/api/v1/sync/resync', body));
    const mixed = await post('/api/v1/sync/resync', { personId, entity: 'lead', crmId });
    assert.match(
      mixed.body.error.message,
      /either \{personId\} or \{entity, crmId\}, not \{personId, entity, crmId\}/,
    );
  });

  test('POST /sync/resync of an unknown or unlinked record → 404 from the engine', async () => {
    double.data.failures.resync = new SynclineError('NOT_FOUND', 'The person is not linked to a CRM record.');
    const response = await post('/api/v1/sync/resync', { personId });
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'NOT_FOUND');
  });

  test('GET /sync/preview answers what the next pass would write, per side', async () => {
    const response = await get('/api/v1/sync/preview');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, freshData().preview);
  });
});

describe('field selection (B5)', () => {
  test('GET /sync/fields lists the attributes with access and state', async () => {
    const response = await get('/api/v1/sync/fields');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, freshData().fields);
  });

  test('PUT /sync/fields saves the selection and answers the new list (B5.4)', async () => {
    const selection = { lead: [{ attribute: 'telephone1', policy: 'crm-wins' }, 'new_tier'], contact: [] };
    const response = await put('/api/v1/sync/fields', selection);
    assert.equal(response.status, 200);
    assert.equal(response.body[0].policy, 'crm-wins', 'B4.6 the policy is part of the answer');
    assert.deepEqual(
      response.body.map((item: SyncFieldView) => [item.attribute, item.selected]),
      [
        ['telephone1', true],
        ['new_tier', true],
      ],
    );
    assert.deepEqual(double.calls, [{ method: 'saveFields', args: [selection] }]);
  });

  test('PUT /sync/fields with a malformed selection → 400 and nothing saved', async () => {
    const bodies = [
      {},
      [],
      ['lead'],
      { lead: 'telephone1' },
      { lead: [1] },
      { lead: ['telephone1', 'telephone1'] },
      { Lead: ['telephone1'] },
      { lead: ['Telephone1'] },
      { lead: [''] },
      { lead: null },
      { lead: [{ attribute: 'telephone1', policy: 'loudest-wins' }] },
      { lead: [{ attribute: 'telephone1' }] },
      { lead: [{ attribute: 'telephone1', policy: 'crm-wins', extra: 1 }] },
    ];
    for (const body of bodies) await expectRejected(put('/api/v1/sync/fields', body));
  });

  test('PUT /sync/fields: deselecting a backfilling field → 409 CONFLICT from the engine (B5.5)', async () => {
    double.data.failures.saveFields = new SynclineError(
      'CONFLICT',
      'new_tier is backfilling; wait for it to finish.',
    );
    const response = await put('/api/v1/sync/fields', { lead: ['telephone1'] });
    assert.equal(response.status, 409);
    assert.equal(response.body.error.code, 'CONFLICT');
    assert.match(response.body.error.message, /backfilling/);
  });
});

describe('errors, conflicts, notifications (B6.1, B4.3, B6.6)', () => {
  test('GET /sync/errors pages the errors, filtered by entity and q (B6.1)', async () => {
    const all = await get('/api/v1/sync/errors?limit=2');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items, [
      syncError(1),
      syncError(2, { entity: 'lead', message: 'Length exceeded' }),
    ]);
    assert.equal(all.body.nextCursor, '2');
    const filtered = await get('/api/v1/sync/errors?entity=contact&q=PLUG-IN&cursor=1');
    assert.deepEqual(filtered.body, { items: [syncError(3)], nextCursor: null });
    assert.deepEqual(double.calls.at(-1), {
      method: 'listErrors',
      args: [{ entity: 'contact', q: 'PLUG-IN', limit: 100, cursor: '1' }],
    });
  });

  test('GET /sync/errors with a bad query → 400', async () => {
    for (const query of ['format=xml', 'limit=0', 'q=', 'entity=', 'status=open']) {
      await expectRejected(get(`/api/v1/sync/errors?${query}`));
    }
  });

  test('POST /sync/errors/{id}/retry marks the error for retry and answers it (B6.1)', async () => {
    const { id } = syncError(2);
    const response = await post(`/api/v1/sync/errors/${id}/retry`);
    assert.equal(response.status, 200);
    assert.equal(response.body.id, id);
    assert.equal(response.body.status, 'retry');
    assert.deepEqual(double.calls, [{ method: 'retryError', args: [id] }]);
  });

  test('POST /sync/errors/{id}/retry: an unknown id → 404, a malformed one → 400 INVALID_ID', async () => {
    const unknown = await post('/api/v1/sync/errors/0190a5f0-0000-7000-8000-00000000ffff/retry');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    double.calls.length = 0;
    await expectRejected(post('/api/v1/sync/errors/42/retry'), 'INVALID_ID');
  });

  test('GET /sync/conflicts pages the conflict log, optionally of one person (B4.3)', async () => {
    const all = await get('/api/v1/sync/conflicts');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body, { items: conflicts, nextCursor: null });
    const one = await get(`/api/v1/sync/conflicts?personId=${personId}&limit=5`);
    assert.deepEqual(one.body.items, [conflicts[0]]);
    assert.deepEqual(double.calls.at(-1), { method: 'listConflicts', args: [{ personId, limit: 5 }] });
  });

  test('GET /sync/conflicts with a malformed personId → 400', async () => {
    await expectRejected(get('/api/v1/sync/conflicts?personId=someone'));
  });

  test('GET /notifications pages the notifications (B6.6)', async () => {
    const response = await get('/api/v1/notifications?limit=1');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { items: notifications, nextCursor: null });
    assert.deepEqual(double.calls, [{ method: 'listNotifications', args: [{ limit: 1 }] }]);
    await get('/api/v1/notifications?limit=1&cursor=x');
    double.calls.length = 0;
    await expectRejected(get('/api/v1/notifications?limit=-1'));
  });
});

/** Every sync-administration route with a valid request; `/metrics` is in the auth sweep below too. */
const syncRequests: readonly InjectOptions[] = [
  { method: 'GET', url: '/api/v1/sync/status' },
  { method: 'POST', url: '/api/v1/sync/enable' },
  { method: 'POST', url: '/api/v1/sync/disable' },
  { method: 'POST', url: '/api/v1/sync/passes' },
  { method: 'GET', url: '/api/v1/sync/passes' },
  { method: 'POST', url: '/api/v1/sync/resync', payload: { personId } },
  { method: 'GET', url: '/api/v1/sync/preview' },
  { method: 'GET', url: '/api/v1/sync/fields' },
  { method: 'PUT', url: '/api/v1/sync/fields', payload: { lead: ['telephone1'] } },
  { method: 'GET', url: '/api/v1/sync/errors' },
  { method: 'GET', url: '/api/v1/sync/errors?format=csv' },
  { method: 'POST', url: `/api/v1/sync/errors/${syncError(1).id}/retry` },
  { method: 'GET', url: '/api/v1/sync/conflicts' },
  { method: 'GET', url: '/api/v1/notifications' },
];

test('the list of sync requests covers every sync route the app registers', () => {
  const covered = new Set(
    syncRequests.map((request) => `${request.method} ${String(request.url).split('?')[0]}`),
  );
  const registered = registeredRoutes(app)
    .filter(({ method, url }) => method !== 'HEAD' && /^\/api\/v1\/(sync|notifications)/.test(url))
    .map(({ method, url }) => `${method} ${url.replace(':id', syncError(1).id)}`);
  assert.equal(registered.length, 13);
  assert.deepEqual(new Set(registered), covered);
});

test('every sync route and /metrics answer 401 without the API key and reach no engine call', async () => {
  for (const request of [...syncRequests, { method: 'GET', url: '/metrics' } as const]) {
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const response = await app.inject({ ...request, headers });
      assert.equal(response.statusCode, 401, `${request.method} ${request.url}`);
      assert.equal(response.json().error.code, 'UNAUTHORIZED');
    }
  }
  assert.deepEqual(double.calls, []);
});

test('without an engine every sync route answers 503 SYNC_UNAVAILABLE; /metrics still answers', async () => {
  const bare = await buildTestServer(tripwireStore().store);
  try {
    for (const request of syncRequests) {
      const response = await bare.inject({ ...request, headers: auth });
      assert.equal(response.statusCode, 503, `${request.method} ${request.url}: ${response.body}`);
      assert.equal(response.json().error.code, 'SYNC_UNAVAILABLE');
      assert.match(response.json().error.message, /not running/);
    }
    const metrics = await bare.inject({ method: 'GET', url: '/metrics', headers: auth });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^syncline_sync_up 0$/m);
  } finally {
    await bare.close();
  }
});
