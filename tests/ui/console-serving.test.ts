import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { registeredRoutes } from '../../src/api/server.ts';
import { consoleRoutes } from '../../src/api/static-ui.ts';
import { paths } from '../../web/src/routes.ts';
import { buildTestServer, testApiKey } from '../api/support/test-server.ts';
import { tripwireStore } from '../api/support/tripwire-store.ts';

// The console's serving, at the HTTP level, against a stand-in build: the shell and its assets are public and
// hold no data; every other route, the API's included, still wants the key (issue 6, acceptance 3).
let root: string;
let app: ApiApp;
const { store, calls } = tripwireStore({ listMirrorEntities: () => [] });
const indexHtml = '<!doctype html><title>Syncline</title><div id="root"></div>';
const asset = 'console.log("console")';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncline-ui-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), indexHtml);
  await writeFile(join(root, 'assets', 'index-abc123.js'), asset);
  await writeFile(join(tmpdir(), 'syncline-ui-secret.txt'), 'outside the root');
  app = await buildTestServer(store, { ui: { root } });
});
after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
  await rm(join(tmpdir(), 'syncline-ui-secret.txt'), { force: true });
});

const isConsoleRoute = (url: string) =>
  (consoleRoutes as readonly string[]).includes(url) || url.startsWith('/assets');

describe('the admin console is served at / (interfaces.md §5)', () => {
  test('every client route of the console is served by the server, and only those', () => {
    assert.deepEqual([...consoleRoutes].sort(), Object.values(paths).sort());
  });

  test('the shell and every client route answer index.html without a key, with a strict CSP', async () => {
    for (const url of [
      '/',
      '/fields',
      '/errors',
      '/conflicts',
      '/persons',
      '/persons/abc',
      '/campaigns/new',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, indexHtml, url);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(response.headers['cache-control'], 'no-cache');
    }
  });

  test('hashed assets are served and cached; a missing one is a 404; nothing outside the build', async () => {
    const found = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(found.statusCode, 200);
    assert.equal(found.body, asset);
    assert.match(String(found.headers['cache-control']), /immutable/);

    const missing = await app.inject({ method: 'GET', url: '/assets/nothing.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'NOT_FOUND');

    for (const url of [
      '/assets/..%2f..%2fsyncline-ui-secret.txt',
      '/assets/%2e%2e/%2e%2e/syncline-ui-secret.txt',
      '/assets/../../syncline-ui-secret.txt',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.notEqual(response.statusCode, 200, url);
      assert.ok(!response.body.includes('outside the root'), url);
    }
  });

  test('no API route returns data without the key: all but /health, /ready, the documentation, the console shell and the (off) webhook receiver answer 401', async () => {
    // The documentation is public (interfaces.md §4) and holds no data: tests/api/auth.test.ts.
    const isDocumentation = (url: string) => url === '/openapi.json' || /^\/docs(\/|$)/.test(url);
    const routes = registeredRoutes(app).filter(
      ({ url }) => url !== '/health' && url !== '/ready' && !isConsoleRoute(url) && !isDocumentation(url),
    );
    assert.ok(routes.length >= 15, `only ${routes.length} routes`);
    for (const { method, url } of routes) {
      const concrete = url
        .replace(':entity', 'account')
        .replace(/:[A-Za-z]+/g, '0190a5f0-0000-7000-8000-000000000001')
        .replace('*', 'index.html');
      for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
        const response = await app.inject({
          method: method as 'GET',
          url: concrete,
          headers: { ...headers, 'content-type': 'application/json' },
          ...(['POST', 'PUT', 'PATCH'].includes(method) ? { payload: '{}' } : {}),
        });
        // The webhook receiver is not behind the API key but its own (interfaces.md §4); this app has no
        // webhook secret, so the receiver is off: 404 WEBHOOKS_OFF, nothing read either.
        const expected = url === '/api/v1/webhooks/dataverse' ? 404 : 401;
        assert.equal(response.statusCode, expected, `${method} ${url}`);
      }
    }
    assert.deepEqual(calls, [], 'an unauthenticated request must not reach the store');
  });

  test('the console does not shadow the API: its paths keep their answers', async () => {
    for (const url of ['/api/v1/persons', '/metrics', '/api/v1/nothing', '/nothing']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401, url);
    }
    // Public like /health (interfaces.md §4).
    for (const url of ['/health', '/docs', '/openapi.json']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    const docs = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(docs.statusCode, 200);
    assert.ok(!docs.body.includes('"/assets/'), 'the console is not part of the API document');
    // Only GET is public: a write to a console path is an API request like any other.
    assert.equal((await app.inject({ method: 'POST', url: '/persons', payload: {} })).statusCode, 401);
    const body = (await app.inject({ method: 'GET', url: '/' })).body;
    assert.ok(!body.includes(testApiKey));
  });

  test('without a build, the shell says how to build the console', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'syncline-ui-empty-'));
    const bare = await buildTestServer(store, { ui: { root: empty } });
    try {
      const response = await bare.inject({ method: 'GET', url: '/' });
      assert.equal(response.statusCode, 503);
      assert.match(response.body, /npm run build:web/);
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('the real build names only assets the server serves', async (t) => {
    const built = join(import.meta.dirname, '..', '..', 'web', 'dist', 'index.html');
    const html = await readFile(built, 'utf8').catch(() => undefined);
    if (html === undefined) return t.skip('web/dist is not built (npm test builds it first)');
    const names = [...html.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map((match) => match[1]!);
    assert.ok(names.length >= 2, html);
    for (const name of names) assert.match(name, /^\/assets\/[\w.-]+$/, 'no CDN, no other folder');
  });
});
