import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registeredRoutes } from '../../src/api/server.ts';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { auth, buildTestServer } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';

let app: ApiApp;

before(async () => {
  app = await buildTestServer(tripwireStore().store);
});
after(() => app.close());

/** Routes that are documentation themselves: the docs UI's assets and the OpenAPI document. */
const isDocumentationRoute = (url: string) => url === '/openapi.json' || url.startsWith('/docs');

test('the OpenAPI document at /openapi.json lists every API route with its method', async () => {
  const response = await app.inject({ method: 'GET', url: '/openapi.json', headers: auth });
  assert.equal(response.statusCode, 200);
  const document = response.json() as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  assert.match(document.openapi, /^3\./);
  const apiRoutes = registeredRoutes(app).filter(
    ({ method, url }) => method !== 'HEAD' && !isDocumentationRoute(url),
  );
  assert.ok(apiRoutes.length >= 10, `only ${apiRoutes.length} API routes`);
  for (const { method, url } of apiRoutes) {
    const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
    const operation = document.paths[path]?.[method.toLowerCase()];
    assert.ok(operation !== undefined, `${method} ${path} is missing from the OpenAPI document`);
    assert.ok(Object.keys(operation.responses).length > 0, `${method} ${path} documents no response`);
  }
  // Nothing documented that does not exist.
  const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
  assert.equal(documented.length, apiRoutes.length, documented.join(', '));
});

test('the document declares bearer auth, /health and /ready without it and the webhook with its own key', async () => {
  const document = (await app.inject({ method: 'GET', url: '/openapi.json', headers: auth })).json();
  assert.deepEqual(document.security, [{ apiKey: [] }]);
  assert.equal(document.components.securitySchemes.apiKey.scheme, 'bearer');
  assert.deepEqual(document.paths['/health'].get.security, []);
  assert.deepEqual(document.paths['/ready'].get.security, []);
  assert.ok(document.paths['/ready'].get.responses['200'] && document.paths['/ready'].get.responses['503']);
  const webhook = document.paths['/api/v1/webhooks/dataverse'].post;
  assert.deepEqual(webhook.security, [{ webhookKey: [] }, { webhookKeyHeader: [] }]);
  assert.deepEqual(document.components.securitySchemes.webhookKey, {
    type: 'apiKey',
    in: 'query',
    name: 'code',
  });
  assert.ok(webhook.responses['202'] && webhook.responses['401'] && webhook.responses['404']);
});

test('/docs serves the browsable UI from bundled assets (no CDN)', async () => {
  const page = await app.inject({ method: 'GET', url: '/docs/', headers: auth });
  assert.equal(page.statusCode, 200, page.body.slice(0, 200));
  assert.match(page.body, /swagger-ui/i);
  const external = [...page.body.matchAll(/(?:src|href)="(https?:\/\/[^"]+)"/g)].map((match) => match[1]);
  assert.deepEqual(external, []);
  const script = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js', headers: auth });
  assert.equal(script.statusCode, 200);
  assert.ok(script.body.length > 100_000);
});
