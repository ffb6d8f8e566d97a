import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executeBatch, prefers, type BatchExecutor } from './execute-batch.ts';
import type { HttpMessageRequest, HttpMessageResponse } from './http-message.ts';

const origin = 'http://127.0.0.1:8081';

/**
 * A tiny stand-in for the emulator core: contacts in a map, POST creates, PATCH/PUT updates an existing row,
 * GET reads; `transaction` restores a snapshot when its function throws.
 */
function fakeCore() {
  let rows = new Map<string, Record<string, unknown>>();
  let next = 1;
  const seen: HttpMessageRequest[] = [];
  const json = (status: number, body: unknown): HttpMessageResponse => ({
    status,
    headers: { 'Content-Type': 'application/json; odata.metadata=minimal', 'OData-Version': '4.0' },
    body: JSON.stringify(body),
  });
  const executor: BatchExecutor = {
    async dispatch(request) {
      seen.push(request);
      const body = request.body === '' ? {} : (JSON.parse(request.body) as Record<string, unknown>);
      const match = /^\/api\/data\/v9\.2\/contacts(?:\(([^)]+)\))?(?:\/(\w+))?/.exec(request.url);
      if (match === null) return json(404, { error: { code: '0x80060888', message: 'Resource not found' } });
      const [, id, property] = match;
      if (request.method === 'POST' && id === undefined) {
        if (body.lastname === 'bad') return json(400, { error: { code: '0x80044331', message: 'too long' } });
        const newId = `00000000-0000-0000-0000-00000000000${next++}`;
        rows.set(newId, body);
        const entityId = `${origin}/api/data/v9.2/contacts(${newId})`;
        return { status: 204, headers: { 'OData-Version': '4.0', 'OData-EntityId': entityId }, body: '' };
      }
      const row = id === undefined ? undefined : rows.get(id);
      if (row === undefined) {
        return json(404, {
          error: { code: '0x80040217', message: `contact With Id = ${id} Does Not Exist` },
        });
      }
      if (request.method === 'GET') return json(200, { contactid: id, ...row });
      if (property !== undefined) row[property] = body.value;
      else Object.assign(row, body);
      return { status: 204, headers: { 'OData-Version': '4.0' }, body: '' };
    },
    async transaction(fn) {
      const snapshot = new Map([...rows].map(([k, v]) => [k, { ...v }]));
      try {
        return await fn();
      } catch (error) {
        rows = snapshot;
        throw error;
      }
    },
  };
  return { executor, seen, rows: () => rows };
}

function batchRequest(parts: string[], prefer?: string): HttpMessageRequest {
  return {
    method: 'POST',
    url: '/api/data/v9.2/$batch',
    headers: {
      'content-type': 'multipart/mixed;boundary=batch_1',
      authorization: 'Bearer t',
      ...(prefer === undefined ? {} : { prefer }),
    },
    body: [...parts, '--batch_1--', ''].join('\n'),
  };
}

const changeset = (members: string[]) =>
  ['--batch_1', 'Content-Type: multipart/mixed;boundary=cs_1', '', ...members, '--cs_1--'].join('\n');

const member = (id: string, line: string, body: string) =>
  [
    '--cs_1',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    `Content-ID: ${id}`,
    '',
    line,
    'Content-Type: application/json',
    '',
    body,
  ].join('\n');

const single = (line: string, body = '') =>
  [
    '--batch_1',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    line,
    'Accept: application/json',
    '',
    body,
  ].join('\n');

test('runs a changeset with $n references in URL and body, then a GET (reference §4)', async () => {
  const core = fakeCore();
  const response = await executeBatch(
    batchRequest([
      changeset([
        member('1', 'POST /api/data/v9.2/contacts HTTP/1.1', '{"lastname":"one"}'),
        member('2', 'PUT $1/firstname HTTP/1.1', '{"value":"Ann"}'),
        member('3', 'POST contacts HTTP/1.1', '{"lastname":"two","parentcontactid@odata.bind":"$1"}'),
      ]),
      single(`GET ${origin}/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001) HTTP/1.1`),
    ]),
    core.executor,
  );
  assert.equal(response.status, 200);
  assert.match(response.headers['Content-Type'], /^multipart\/mixed; boundary=batchresponse_[0-9a-f-]{36}$/);
  assert.equal(core.seen[1].url, '/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001)/firstname');
  assert.equal(core.seen[2].url, '/api/data/v9.2/contacts');
  assert.equal(
    JSON.parse(core.seen[2].body)['parentcontactid@odata.bind'],
    `${origin}/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000001)`,
  );
  assert.equal(core.seen[0].headers.authorization, 'Bearer t', 'inner requests inherit the credentials');
  assert.equal(core.rows().get('00000000-0000-0000-0000-000000000001')?.firstname, 'Ann');
  assert.match(response.body, /--changesetresponse_[0-9a-f-]{36}\r\n/);
  assert.match(response.body, /Content-ID: 2\r\n\r\nHTTP\/1.1 204 No Content\r\n/);
  assert.match(response.body, /HTTP\/1.1 200 OK\r\n[^]*"firstname":"Ann"/);
  assert.equal(response.headers['Preference-Applied'], undefined);
});

test('a failing changeset member rolls the changeset back and, without continue-on-error, answers 400 with only the failing part', async () => {
  const core = fakeCore();
  const response = await executeBatch(
    batchRequest([
      single('POST contacts HTTP/1.1', '{"lastname":"kept"}'),
      changeset([
        member('1', 'POST contacts HTTP/1.1', '{"lastname":"rolled back"}'),
        member('2', 'POST contacts HTTP/1.1', '{"lastname":"bad"}'),
      ]),
      single('POST contacts HTTP/1.1', '{"lastname":"never run"}'),
    ]),
    core.executor,
  );
  assert.equal(response.status, 400);
  assert.deepEqual(
    [...core.rows().values()].map((r) => r.lastname),
    ['kept'],
  );
  assert.equal(core.seen.length, 3, 'processing stops at the first failure');
  assert.equal(
    (response.body.match(/^--batchresponse_/gm) ?? []).length,
    2,
    'one part plus the closing delimiter',
  );
  assert.match(
    response.body,
    /HTTP\/1.1 400 Bad Request\r\n[^]*\{"error":\{"code":"0x80044331","message":"too long"\}\}/,
  );
  assert.doesNotMatch(response.body, /changesetresponse_/);
});

test('with Prefer: odata.continue-on-error every part is answered with 200 and Preference-Applied', async () => {
  const core = fakeCore();
  const response = await executeBatch(
    batchRequest(
      [
        single('GET contacts(00000000-0000-0000-0000-000000000009) HTTP/1.1'),
        single('POST contacts HTTP/1.1', '{"lastname":"after the failure"}'),
      ],
      'odata.continue-on-error',
    ),
    core.executor,
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers['Preference-Applied'], 'odata.continue-on-error');
  assert.match(response.body, /HTTP\/1.1 404 Not Found[^]*HTTP\/1.1 204 No Content/);
  assert.equal(core.rows().size, 1);
});

test("referencing an undeclared Content-ID fails with the service's message (reference §4)", async () => {
  const core = fakeCore();
  const response = await executeBatch(
    batchRequest([changeset([member('1', 'PATCH $7 HTTP/1.1', '{"lastname":"x"}')])]),
    core.executor,
  );
  assert.equal(response.status, 400);
  assert.match(response.body, /Content-ID Reference: '\$7' does not exist in the batch context\./);
  assert.equal(core.seen.length, 0);
});

test('Content-IDs are scoped to their changeset', async () => {
  const core = fakeCore();
  const response = await executeBatch(
    batchRequest([
      changeset([member('1', 'POST contacts HTTP/1.1', '{"lastname":"a"}')]),
      changeset([member('2', 'PATCH $1 HTTP/1.1', '{"lastname":"b"}')]),
    ]),
    core.executor,
  );
  assert.equal(response.status, 400);
  assert.match(response.body, /'\$1' does not exist in the batch context/);
});

test('malformed batches are answered with one Dataverse error and nothing runs', async () => {
  const core = fakeCore();
  const response = await executeBatch(
    {
      method: 'POST',
      url: '/api/data/v9.2/$batch',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    },
    core.executor,
  );
  assert.equal(response.status, 400);
  const parsed = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(parsed.error.code, '0x80040203');
  assert.match(parsed.error.message, /multipart\/mixed/);
  assert.equal(core.seen.length, 0);
});

test('a nested $batch request is answered as a failing part', async () => {
  const core = fakeCore();
  const response = await executeBatch(batchRequest([single('POST $batch HTTP/1.1', '')]), core.executor);
  assert.equal(response.status, 400);
  assert.match(response.body, /cannot contain another batch/);
});

test('prefers() reads comma-separated, quoted preferences', () => {
  assert.equal(prefers('return=representation,odata.continue-on-error', 'odata.continue-on-error'), true);
  assert.equal(
    prefers('odata.include-annotations="a,odata.continue-on-error"', 'odata.continue-on-error'),
    false,
  );
  assert.equal(prefers('odata.continue-on-error=false', 'odata.continue-on-error'), false);
  assert.equal(prefers(undefined, 'odata.continue-on-error'), false);
});
