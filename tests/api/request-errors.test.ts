import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { systemFields } from '../../src/domain/person-fields.ts';
import { SynclineError } from '../../src/errors/syncline-error.ts';
import type { ApiApp } from '../../src/api/routes/route.ts';
import { auth, buildTestServer, jsonRequest } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';

// Requests that must be refused before the store is asked to write anything: the tripwire store throws on any
// call without an answer (→ 500), and the list of calls proves no write happened.
const reads = {
  listPersonFields: () => [],
  listMirrorEntities: () => [],
};
const { store, calls } = tripwireStore(reads);
let app: ApiApp;
const validId = '0190a5f0-0000-7000-8000-000000000001';

before(async () => {
  app = await buildTestServer(store);
});
after(() => app.close());

async function expectError(
  request: InjectOptions,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const response = await app.inject(request);
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.json();
  assert.equal(body.error.code, code, response.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 5);
  const writes = calls.filter((name) => !Object.hasOwn(reads, name));
  assert.deepEqual(writes, [], 'a rejected request must not reach the store');
  return body.error;
}

const bodyRoutes = [
  ['POST', '/api/v1/persons'],
  ['PATCH', `/api/v1/persons/${validId}`],
  ['POST', '/api/v1/person-fields'],
] as const;

describe('malformed requests', () => {
  for (const [method, url] of bodyRoutes) {
    test(`${method} ${url}: malformed JSON → 400 INVALID_JSON`, async () => {
      for (const payload of ['{"email":', '{email: 1}', "{'a':1}", '{"a":1}}', '']) {
        await expectError(
          { method, url, headers: { ...auth, 'content-type': 'application/json' }, payload },
          400,
          'INVALID_JSON',
        );
      }
    });

    test(`${method} ${url}: a non-JSON media type → 415 UNSUPPORTED_MEDIA_TYPE`, async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        await expectError(
          { method, url, headers: { ...auth, 'content-type': type }, payload: 'email=a@b.c' },
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      }
    });

    test(`${method} ${url}: a body over 1 MiB → 413 PAYLOAD_TOO_LARGE`, async () => {
      const payload = JSON.stringify({ notes: 'x'.repeat(1024 * 1024) });
      await expectError(
        { method, url, headers: { ...auth, 'content-type': 'application/json' }, payload },
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    test(`${method} ${url}: a body that is not an object → 400 VALIDATION_FAILED`, async () => {
      for (const body of [[], 'text', 42, null, [{ email: 'a@b.c' }]]) {
        await expectError(jsonRequest(method, url, body), 400, 'VALIDATION_FAILED');
      }
    });
  }

  test('a known path with another method → 405 METHOD_NOT_ALLOWED with Allow', async () => {
    for (const [method, url] of [
      ['PUT', '/api/v1/persons'],
      ['DELETE', '/api/v1/persons'],
      ['POST', `/api/v1/persons/${validId}`],
      ['DELETE', '/api/v1/person-fields'],
      ['POST', '/api/v1/crm/account'],
    ] as const) {
      const response = await app.inject({ method, url, headers: auth });
      assert.equal(response.statusCode, 405, `${method} ${url}`);
      assert.equal(response.json().error.code, 'METHOD_NOT_ALLOWED');
      assert.ok(
        String(response.headers.allow).includes('GET'),
        `${method} ${url}: ${response.headers.allow}`,
      );
    }
  });

  test('a malformed URL encoding → 400 BAD_REQUEST in the API error shape', async () => {
    await expectError({ method: 'GET', url: '/api/v1/persons/%E0%A4%A', headers: auth }, 400, 'BAD_REQUEST');
  });

  test('a query parameter given twice → 400 VALIDATION_FAILED', async () => {
    for (const query of ['limit=1&limit=2', 'email=a&email=b', 'crmType=lead&crmType=contact']) {
      await expectError(
        { method: 'GET', url: `/api/v1/persons?${query}`, headers: auth },
        400,
        'VALIDATION_FAILED',
      );
    }
  });

  test('prototype-poisoning JSON → 400 INVALID_JSON', async () => {
    await expectError(
      {
        method: 'POST',
        url: '/api/v1/persons',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"email":"a@b.c","__proto__":{"admin":true}}',
      },
      400,
      'INVALID_JSON',
    );
  });
});

describe('person bodies (interfaces.md §6)', () => {
  for (const [method, url] of bodyRoutes.slice(0, 2)) {
    test(`${method} ${url}: every system field is read-only → 400 READ_ONLY_FIELD`, async () => {
      for (const field of [...Object.keys(systemFields), 'id', 'createdAt', 'updatedAt']) {
        const error = await expectError(
          jsonRequest(method, url, { email: 'ro@example.com', [field]: null }),
          400,
          'READ_ONLY_FIELD',
        );
        assert.deepEqual(error.details, { fields: [field] });
      }
    });

    test(`${method} ${url}: values that are not scalars → 400 VALIDATION_FAILED naming the field`, async () => {
      for (const value of [{ a: 1 }, [1, 2], ['x']]) {
        const error = await expectError(
          jsonRequest(method, url, { email: 'x@example.com', firstName: value }),
          400,
          'VALIDATION_FAILED',
        );
        const details = error.details as { in: string; problems: { path: string }[] };
        assert.equal(details.in, 'body');
        assert.deepEqual(
          details.problems.map((problem) => problem.path),
          ['/firstName'],
        );
      }
    });

    test(`${method} ${url}: an oversize string value → 400 VALIDATION_FAILED`, async () => {
      await expectError(
        jsonRequest(method, url, { email: 'x@example.com', notes: 'n'.repeat(100_001) }),
        400,
        'VALIDATION_FAILED',
      );
    });

    test(`${method} ${url}: too many fields → 400 VALIDATION_FAILED`, async () => {
      const body = Object.fromEntries(Array.from({ length: 501 }, (_, index) => [`f${index}`, 'v']));
      await expectError(jsonRequest(method, url, body), 400, 'VALIDATION_FAILED');
    });
  }
});

describe('ids, limits and query parameters', () => {
  const badIds = ['abc', '123', `${validId}0`, 'zzzzzzzz-0000-7000-8000-000000000001', "1' or '1'='1"];
  const idRoutes = [
    ['GET', (id: string) => `/api/v1/persons/${encodeURIComponent(id)}`],
    ['DELETE', (id: string) => `/api/v1/persons/${encodeURIComponent(id)}`],
    ['GET', (id: string) => `/api/v1/persons/${encodeURIComponent(id)}/activities`],
    ['GET', (id: string) => `/api/v1/crm/account/${encodeURIComponent(id)}`],
  ] as const;
  for (const [method, url] of idRoutes) {
    test(`${method} ${url(':id')}: a malformed id → 400 INVALID_ID`, async () => {
      for (const id of badIds) {
        const error = await expectError({ method, url: url(id), headers: auth }, 400, 'INVALID_ID');
        assert.equal((error.details as { in: string }).in, 'params');
      }
    });
  }

  test('PATCH with a malformed id → 400 INVALID_ID', async () => {
    await expectError(jsonRequest('PATCH', '/api/v1/persons/abc', { firstName: 'A' }), 400, 'INVALID_ID');
  });

  const pagedUrls = ['/api/v1/persons', `/api/v1/persons/${validId}/activities`, '/api/v1/crm/account'];
  for (const url of pagedUrls) {
    test(`GET ${url}: limits outside 1–1000, unknown parameters, empty cursors → 400 VALIDATION_FAILED`, async () => {
      for (const query of [
        'limit=0',
        'limit=1001',
        'limit=-5',
        'limit=abc',
        'limit=1.5',
        'limit=',
        'cursor=',
        'sort=name',
      ]) {
        await expectError({ method: 'GET', url: `${url}?${query}`, headers: auth }, 400, 'VALIDATION_FAILED');
      }
    });
  }

  test('GET /api/v1/persons: bad filters → 400 VALIDATION_FAILED', async () => {
    for (const query of ['crmType=account', 'updatedSince=yesterday', 'updatedSince=2024-13-01T00:00:00Z']) {
      const error = await expectError(
        { method: 'GET', url: `/api/v1/persons?${query}`, headers: auth },
        400,
        'VALIDATION_FAILED',
      );
      assert.equal((error.details as { in: string }).in, 'querystring');
    }
  });

  test('GET /api/v1/crm/{entity}: an entity that is not mirrored → 404 NOT_FOUND', async () => {
    for (const entity of ['contact', 'lead', 'nosuchentity']) {
      await expectError({ method: 'GET', url: `/api/v1/crm/${entity}`, headers: auth }, 404, 'NOT_FOUND');
    }
  });
});

describe('POST /api/v1/person-fields', () => {
  test('names outside the marketing-field rules, unknown types and extra keys → 400 VALIDATION_FAILED', async () => {
    for (const body of [
      { name: 'new_tier', type: 'string' },
      { name: '1st', type: 'string' },
      { name: 'a b', type: 'string' },
      { name: '', type: 'string' },
      { name: 'x'.repeat(65), type: 'string' },
      { name: 'shoeSize', type: 'text' },
      { name: 'shoeSize' },
      { name: 'shoeSize', type: 'integer', source: 'marketing' },
      { name: 7, type: 'integer' },
    ]) {
      await expectError(jsonRequest('POST', '/api/v1/person-fields', body), 400, 'VALIDATION_FAILED');
    }
  });

  test('a name a person already answers with → 409 CONFLICT', async () => {
    for (const name of ['id', 'createdAt', 'updatedAt', 'crmType', 'crmIsDeleted']) {
      await expectError(
        jsonRequest('POST', '/api/v1/person-fields', { name, type: 'string' }),
        409,
        'CONFLICT',
      );
    }
  });
});

describe('errors from below', () => {
  test('an unexpected store failure → 500 INTERNAL without its message', async () => {
    const failing = tripwireStore({
      listPersons: () => {
        throw new Error('SQLITE_CORRUPT: database disk image is malformed at /secret/path');
      },
    });
    const failingApp = await buildTestServer(failing.store);
    try {
      const response = await failingApp.inject({ method: 'GET', url: '/api/v1/persons', headers: auth });
      assert.equal(response.statusCode, 500);
      assert.equal(response.json().error.code, 'INTERNAL');
      assert.ok(!response.body.includes('SQLITE'), response.body);
      assert.ok(!response.body.includes('/secret/path'), response.body);
    } finally {
      await failingApp.close();
    }
  });

  test("the store's own client errors keep their code and status", async () => {
    const rejecting = tripwireStore({
      listPersons: () => {
        throw new SynclineError('INVALID_CURSOR', 'The cursor was not issued by this server.');
      },
    });
    const rejectingApp = await buildTestServer(rejecting.store);
    try {
      const response = await rejectingApp.inject({
        method: 'GET',
        url: '/api/v1/persons?cursor=forged',
        headers: auth,
      });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error.code, 'INVALID_CURSOR');
    } finally {
      await rejectingApp.close();
    }
  });
});

// PostgreSQL refuses U+0000 and lone surrogates in text and jsonb; these used to reach the store and answer 500
// there (SQLite took them). The same requests on a real PostgreSQL store: tests/api/fuzz-postgres.test.ts.
describe('strings PostgreSQL cannot store (NUL, lone surrogates) → 400 INVALID_CHARACTERS', () => {
  const nul = 'a\u0000b';
  const surrogate = 'x\ud800';
  /** A JSON payload that keeps a lone surrogate as its escape, as a client would send it. */
  const rawJson = (method: 'POST' | 'PATCH' | 'PUT', url: string, payload: string): InjectOptions => ({
    method,
    url,
    headers: { ...auth, 'content-type': 'application/json' },
    payload,
  });

  test('query parameters, named as query.<name>', async () => {
    for (const [url, path] of [
      ['/api/v1/persons?email=a%00b', 'query.email'],
      ['/api/v1/sync/errors?q=a%00b', 'query.q'],
      ['/api/v1/sync/errors?entity=contact%00', 'query.entity'],
      ['/api/v1/sync/conflicts?personId=%00', 'query.personId'],
      ['/api/v1/persons?x%00y=1', 'query["x\\u0000y"]'],
    ] as const) {
      const error = await expectError({ method: 'GET', url, headers: auth }, 400, 'INVALID_CHARACTERS');
      assert.deepEqual(error.details, { problems: [{ path, problem: 'nul' }] }, url);
      assert.match(String(error.message), new RegExp(path.replace(/[[\]\\"]/g, '.')), url);
    }
  });

  test('a cursor is opaque: one with such characters is a malformed cursor → 400 INVALID_CURSOR', async () => {
    for (const url of [
      '/api/v1/persons?cursor=%00',
      '/api/v1/campaigns?cursor=x%00',
      '/api/v1/notifications?cursor=%00',
    ]) {
      await expectError({ method: 'GET', url, headers: auth }, 400, 'INVALID_CURSOR');
    }
    // Together with another bad string, the other string is what the client can fix.
    await expectError(
      { method: 'GET', url: '/api/v1/persons?cursor=%00&email=a%00', headers: auth },
      400,
      'INVALID_CHARACTERS',
    );
  });

  test('path parameters, on every kind of route', async () => {
    for (const [method, url, path] of [
      ['GET', '/api/v1/persons/%00', 'params.id'],
      ['DELETE', `/api/v1/persons/${validId}%00`, 'params.id'],
      ['GET', '/api/v1/crm/acc%00ount', 'params.entity'],
      ['GET', `/api/v1/crm/account%00/${validId}`, 'params.entity'],
      ['GET', '/api/v1/campaigns/%00', 'params.id'],
      ['DELETE', '/api/v1/campaigns/%00', 'params.id'],
      ['POST', '/api/v1/sync/errors/%00/retry', 'params.id'],
    ] as const) {
      const error = await expectError({ method, url, headers: auth }, 400, 'INVALID_CHARACTERS');
      assert.deepEqual(error.details, { problems: [{ path, problem: 'nul' }] }, `${method} ${url}`);
    }
  });

  test('person bodies: NUL and lone surrogates in values and keys', async () => {
    for (const [method, url] of bodyRoutes.slice(0, 2)) {
      const error = await expectError(
        jsonRequest(method, url, { email: 'n@example.com', firstName: nul }),
        400,
        'INVALID_CHARACTERS',
      );
      assert.deepEqual(error.details, { problems: [{ path: 'body.firstName', problem: 'nul' }] });
      const lone = await expectError(
        rawJson(method, url, '{"email":"s@example.com","lastName":"\\ud800","notes":"ok \\udfff"}'),
        400,
        'INVALID_CHARACTERS',
      );
      assert.deepEqual(lone.details, {
        problems: [
          { path: 'body.lastName', problem: 'lone-surrogate' },
          { path: 'body.notes', problem: 'lone-surrogate' },
        ],
      });
      await expectError(rawJson(method, url, '{"\\ud800":"x"}'), 400, 'INVALID_CHARACTERS');
    }
  });

  test('a well-formed surrogate pair (an emoji) is not refused by the guard', async () => {
    const response = await app.inject(
      rawJson('POST', '/api/v1/person-fields', '{"name":"\\ud83d\\ude00","type":"string"}'),
    );
    // The name breaks the marketing-field rules (schema), which proves the guard let the pair through.
    assert.equal(response.json().error.code, 'VALIDATION_FAILED', response.body);
  });

  test('campaign, flow-action and sync bodies, at any depth', async () => {
    const cases: [InjectOptions, string][] = [
      [
        jsonRequest('POST', '/api/v1/campaigns', {
          name: 'Welcome',
          enabled: true,
          trigger: { type: 'person-created' },
          filters: [{ field: 'country', operator: 'equals', value: surrogate }],
          steps: [{ action: 'create-task', subject: 'Call' }],
        }),
        'body.filters[0].value',
      ],
      [jsonRequest('PUT', `/api/v1/campaigns/${validId}`, { name: nul }), 'body.name'],
      [
        jsonRequest('POST', `/api/v1/persons/${validId}/actions/create-task`, {
          subject: 'Call',
          description: nul,
        }),
        'body.description',
      ],
      [
        jsonRequest('POST', `/api/v1/persons/${validId}/actions/change-owner`, { ownerId: surrogate }),
        'body.ownerId',
      ],
      [jsonRequest('POST', '/api/v1/sync/resync', { entity: 'contact', crmId: nul }), 'body.crmId'],
      [
        jsonRequest('PUT', '/api/v1/sync/fields', { contact: ['firstname', { attribute: nul }] }),
        'body.contact[1].attribute',
      ],
      [jsonRequest('POST', '/api/v1/persons', { a: [[[{ b: [nul] }]]] }), 'body.a[0][0][0].b[0]'],
    ];
    for (const [request, path] of cases) {
      const error = await expectError(request, 400, 'INVALID_CHARACTERS');
      const problems = (error.details as { problems: { path: string }[] }).problems;
      assert.deepEqual(
        problems.map((problem) => problem.path),
        [path],
        `${request.method} ${request.url}`,
      );
    }
  });

  test('a body nested far deeper than any schema is checked without overflowing the stack', async () => {
    const depth = 200_000;
    const payload = `${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`;
    await expectError(rawJson('POST', '/api/v1/persons', payload), 400, 'INVALID_CHARACTERS');
  });

  test('without the API key the answer is still 401, so an anonymous caller learns nothing', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/persons?email=%00' });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error.code, 'UNAUTHORIZED');
  });
});
