import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registeredRoutes } from '../../src/api/server.ts';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { auth, buildTestServer, testApiKey } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';

const { store, calls } = tripwireStore({
  listMirrorEntities: () => [],
  migrationStatus: () => ({ latest: '0004_person_markers', pending: [] }),
});
let app: ApiApp;

before(async () => {
  app = await buildTestServer(store);
});
after(() => app.close());

/** A concrete URL for a route pattern: valid-looking values for every parameter. */
function concreteUrl(pattern: string): string {
  return pattern
    .replace(':entity', 'account')
    .replace(/:[A-Za-z]+/g, '0190a5f0-0000-7000-8000-000000000001')
    .replace('*', 'index.html');
}

/**
 * Routes that need no API key: liveness, readiness, and the Dataverse webhook (its own key,
 * tests/api/webhook-receiver.test.ts).
 */
const withoutApiKey = new Set(['/health', '/ready', '/api/v1/webhooks/dataverse']);

test('every route but GET /health, GET /ready and the webhook answers 401 UNAUTHORIZED without a key or with a wrong one', async () => {
  const routes = registeredRoutes(app).filter(({ url }) => !withoutApiKey.has(url));
  // The API's own routes and the docs plugin's must all be there, or this test checks nothing.
  assert.ok(routes.length >= 15, `only ${routes.length} routes registered`);
  assert.ok(routes.some(({ url }) => url === '/docs'));
  const badHeaders = [
    {},
    { authorization: 'Bearer wrong-key' },
    { authorization: `Bearer ${testApiKey}x` },
    { authorization: `Basic ${Buffer.from(`x:${testApiKey}`).toString('base64')}` },
    { authorization: testApiKey },
    { authorization: 'Bearer' },
  ];
  for (const { method, url } of routes) {
    for (const headers of badHeaders) {
      const response = await app.inject({
        method: method as 'GET',
        url: concreteUrl(url),
        headers: { ...headers, 'content-type': 'application/json' },
        ...(['POST', 'PUT', 'PATCH'].includes(method) ? { payload: '{}' } : {}),
      });
      assert.equal(response.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
      if (method !== 'HEAD') {
        assert.equal(response.json().error.code, 'UNAUTHORIZED', `${method} ${url}`);
        assert.ok(!response.body.includes(testApiKey), 'the key must not be echoed');
      }
    }
  }
  assert.deepEqual(calls, [], 'an unauthenticated request must not reach the store');
});

test('GET /health needs no key', async () => {
  const response = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { status: 'ok' });
});

test('GET /ready needs no key and answers with nothing but the readiness', async () => {
  const response = await app.inject({ method: 'GET', url: '/ready' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { status: 'ready', migration: '0004_person_markers' });
  assert.deepEqual(calls, ['migrationStatus']);
  calls.length = 0;
});

test('an unknown route answers 401 without a key and 404 ROUTE_NOT_FOUND with one', async () => {
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/nothing' })).statusCode, 401);
  const response = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth });
  assert.equal(response.statusCode, 404);
  assert.equal(response.json().error.code, 'ROUTE_NOT_FOUND');
});

test('the bearer scheme is case-insensitive and the right key is accepted', async () => {
  const response = await app.inject({
    method: 'GET',
    url: '/openapi.json',
    headers: { authorization: `bearer ${testApiKey}` },
  });
  assert.equal(response.statusCode, 200);
});
