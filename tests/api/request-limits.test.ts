import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { errorCodes } from '../../src/errors/codes.ts';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { rawHttp, type RawResponse } from './support/raw-http.ts';
import { auth, buildTestServer, testApiKey } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';

// Issue 16, item 3: every answer the server gives — including those Node's HTTP parser gives before Fastify
// routes anything — is in the API's error shape with a stable code, over a real socket; /docs and
// /openapi.json are public (interfaces.md §4).
const reads = { listPersonFields: () => [], listMirrorEntities: () => [] };
const { store, calls } = tripwireStore(reads);
let app: ApiApp;
let port: number;
let base: string;

before(async () => {
  app = await buildTestServer(store);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
after(() => app.close());

function assertError(
  response: { status: number; contentType: string | undefined; body: string },
  status: number,
  code: string,
): { code: string; message: string; details?: Record<string, unknown> } {
  assert.equal(response.status, status, response.body.slice(0, 300));
  assert.match(response.contentType ?? '', /^application\/json/);
  const error = JSON.parse(response.body).error;
  assert.equal(error.code, code, response.body);
  assert.equal(errorCodes[code as keyof typeof errorCodes].status, status, 'the registry names this status');
  assert.ok(error.message.length > 10, error.message);
  assert.deepEqual(
    calls.filter((name) => !Object.hasOwn(reads, name)),
    [],
    'a refused request writes nothing',
  );
  return error;
}

const fromRaw = (response: RawResponse) => ({
  status: response.status,
  contentType: response.headers['content-type'],
  body: response.body,
});

async function fromFetch(response: Response) {
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    body: await response.text(),
  };
}

const get = (target: string, headers = '') =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${testApiKey}\r\n${headers}Connection: close\r\n\r\n`;

describe('answers before routing, in the error shape', () => {
  test("a 360 KB query string → 414 URL_TOO_LONG (was Node's own 431 body)", async () => {
    const response = await rawHttp(port, get(`/api/v1/persons?email=${'x'.repeat(360 * 1024)}`));
    const error = assertError(fromRaw(response), 414, 'URL_TOO_LONG');
    assert.deepEqual(error.details, { maxLength: 8192 });
    assert.ok(!response.body.includes('xxxxxxxx'), 'the URL is not echoed');
  });

  test('a URL over 8 KB but within the header limit → 414 URL_TOO_LONG, with or without a key', async () => {
    const target = `/api/v1/persons?email=${'x'.repeat(9000)}`;
    assertError(fromRaw(await rawHttp(port, get(target))), 414, 'URL_TOO_LONG');
    const anonymous = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
    assertError(fromRaw(await rawHttp(port, anonymous)), 414, 'URL_TOO_LONG');
  });

  test('a URL of 12 KB with headers that take the request over 16 KB → 414 URL_TOO_LONG', async () => {
    const response = await rawHttp(
      port,
      get(`/api/v1/persons?email=${'x'.repeat(12_000)}`, `X-Padding: ${'p'.repeat(6000)}\r\n`),
    );
    assertError(fromRaw(response), 414, 'URL_TOO_LONG');
  });

  test('headers over 16 KB → 431 HEADERS_TOO_LARGE', async () => {
    const response = await rawHttp(port, get('/api/v1/persons', `Cookie: ${'c'.repeat(20_000)}\r\n`));
    const error = assertError(fromRaw(response), 431, 'HEADERS_TOO_LARGE');
    assert.match(error.message, /16 KB/);
    assert.equal(response.headers.connection, 'close');
  });

  test('a 10,000-character person id → 414 PATH_PARAMETER_TOO_LONG naming the limit', async () => {
    for (const target of [
      `/api/v1/persons/${'a'.repeat(10_000)}`,
      `/api/v1/persons/${'7'.repeat(101)}/activities`,
      `/api/v1/crm/${'e'.repeat(500)}`,
    ]) {
      const error = assertError(fromRaw(await rawHttp(port, get(target))), 414, 'PATH_PARAMETER_TOO_LONG');
      assert.match(error.message, /at most 100/, target.slice(0, 40));
      assert.equal(error.details?.maxLength, 100);
    }
    const error = assertError(
      await fromFetch(await fetch(`${base}/api/v1/persons/${'a'.repeat(10_000)}`, { headers: auth })),
      414,
      'PATH_PARAMETER_TOO_LONG',
    );
    assert.equal(error.details?.length, 10_000);
    // At the limit the route is reached and the id is judged as an id.
    const atLimit = await fetch(`${base}/api/v1/persons/${'a'.repeat(100)}`, { headers: auth });
    assertError(await fromFetch(atLimit), 400, 'INVALID_ID');
  });

  test('bytes that are not HTTP → 400 BAD_REQUEST', async () => {
    assertError(fromRaw(await rawHttp(port, 'HELLO THERE\r\n\r\n')), 400, 'BAD_REQUEST');
  });

  test('a malformed percent-encoding → 400 BAD_REQUEST saying so', async () => {
    const error = assertError(
      fromRaw(await rawHttp(port, get(`/api/v1/persons/%E0%A4%A`))),
      400,
      'BAD_REQUEST',
    );
    assert.match(error.message, /percent-encoding/);
  });
});

describe('bodies', () => {
  test('a body over 1 MiB → 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await fetch(`${base}/api/v1/persons`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'big@example.com', notes: 'n'.repeat(1024 * 1024) }),
    });
    assertError(await fromFetch(response), 413, 'PAYLOAD_TOO_LARGE');
  });

  test('a body that is not JSON → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const response = await fetch(`${base}/api/v1/persons`, {
        method: 'POST',
        headers: { ...auth, 'content-type': type },
        body: 'email=a@b.c',
      });
      assertError(await fromFetch(response), 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });
});

describe('public documentation (interfaces.md §4)', () => {
  test('/openapi.json and /docs answer 200 without a key; the API still needs it', async () => {
    const document = await fetch(`${base}/openapi.json`);
    assert.equal(document.status, 200);
    assert.match((await document.json()).openapi, /^3\./);
    const page = await fetch(`${base}/docs/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger-ui/i);
    for (const url of ['/docs', '/docs/json', '/docs/static/swagger-ui-bundle.js']) {
      const response = await fetch(`${base}${url}`);
      // Read to the end: an unread body holds the connection open and the server's close() waits for it.
      assert.ok((await response.arrayBuffer()).byteLength > 100, url);
      assert.equal(response.status, 200, url);
    }
    for (const url of ['/api/v1/persons', '/metrics', '/api/v1/sync/status', '/docs-not', '/openapi.jsonx']) {
      const response = await fetch(`${base}${url}`);
      assertError(await fromFetch(response), 401, 'UNAUTHORIZED');
    }
  });

  test('the document declares 413 / 414 / 415 / 431 in the error shape', async () => {
    const document = await (await fetch(`${base}/openapi.json`)).json();
    const operations = Object.entries(
      document.paths as Record<string, Record<string, { responses: Record<string, any> }>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    assert.ok(operations.length >= 30);
    for (const { path, method, operation } of operations) {
      const statuses = [
        '414',
        '431',
        ...(['post', 'put', 'patch', 'delete'].includes(method) ? ['413', '415'] : []),
      ];
      for (const status of statuses) {
        const schema = operation.responses[status]?.content?.['application/json']?.schema;
        assert.ok(schema !== undefined, `${method} ${path} does not declare ${status}`);
        assert.deepEqual(schema.required, ['error'], `${method} ${path} ${status}`);
        assert.deepEqual(schema.properties.error.required, ['code', 'message']);
      }
    }
    const post = document.paths['/api/v1/persons'].post.responses;
    assert.match(post['414'].description, /URL_TOO_LONG.*PATH_PARAMETER_TOO_LONG/);
    assert.match(post['431'].description, /HEADERS_TOO_LARGE/);
    assert.match(post['413'].description, /PAYLOAD_TOO_LARGE/);
    assert.match(post['415'].description, /UNSUPPORTED_MEDIA_TYPE/);
  });
});
