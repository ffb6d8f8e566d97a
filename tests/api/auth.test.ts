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
 * Routes that need no API key (interfaces.md §4): liveness, the API's documentation, and the Dataverse webhook
 * (its own key, tests/api/webhook-receiver.test.ts).
 */
const isPublic = (url: string) =>
  ['/health', '/ready', '/api/v1/webhooks/dataverse', '/openapi.json'].includes(url) ||
  /^\/docs(\/|$)/.test(url);

test('every route but /health, /ready, the documentation and the webhook answers 401 UNAUTHORIZED without a key or with a wrong one', async () => {
  const routes = registeredRoutes(app).filter(({ url }) => !isPublic(url));
  // The API's own routes must all be there, or this test checks nothing.
  assert.ok(routes.length >= 15, `only ${routes.length} routes registered`);
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

test('the documentation needs no key: /openapi.json and every route of /docs (a browser cannot send one)', async () => {
  const docs = registeredRoutes(app).filter(
    ({ method, url }) => method === 'GET' && (url === '/openapi.json' || url.startsWith('/docs')),
  );
  assert.ok(docs.length >= 4, docs.map(({ url }) => url).join(', '));
  for (const { url } of docs) {
    const response = await app.inject({
      method: 'GET',
      url: concreteUrl(url).replace('index.html', 'swagger-ui.css'),
    });
    assert.ok(response.statusCode < 400, `${url}: ${response.statusCode}`);
  }
  assert.deepEqual(calls, [], 'the documentation reads no data');
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
