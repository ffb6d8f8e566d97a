import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchError } from './batch-error.ts';
import { parseBatch } from './parse-batch.ts';

// The reference §4 example, as dynamics-web-api 1.x writes it: bare LF line endings.
const referenceBody = [
  '--batch_AAA123',
  'Content-Type: multipart/mixed; boundary=changeset_BBB456',
  '',
  '--changeset_BBB456',
  'Content-Type: application/http',
  'Content-Transfer-Encoding: binary',
  'Content-ID: 1',
  '',
  'POST https://org.crm.dynamics.com/api/data/v9.2/tasks HTTP/1.1',
  'Content-Type: application/json; type=entry',
  '',
  '{"subject":"Task 1 in batch","regardingobjectid_account_task@odata.bind":"accounts(00000000-0000-0000-0000-000000000001)"}',
  '--changeset_BBB456--',
  '',
  '--batch_AAA123',
  'Content-Type: application/http',
  'Content-Transfer-Encoding: binary',
  '',
  'GET /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject HTTP/1.1',
  'Accept: application/json',
  '',
  '--batch_AAA123--',
  '',
].join('\n');

test('parses the reference batch with LF line endings and an unquoted boundary', () => {
  const items = parseBatch('multipart/mixed; boundary=batch_AAA123', referenceBody);
  assert.equal(items.length, 2);
  const [changeset, get] = items;
  assert.equal(changeset.kind, 'changeset');
  assert.ok(changeset.kind === 'changeset');
  assert.deepEqual(changeset.requests, [
    {
      contentId: '1',
      method: 'POST',
      url: 'https://org.crm.dynamics.com/api/data/v9.2/tasks',
      headers: { 'content-type': 'application/json; type=entry' },
      body: '{"subject":"Task 1 in batch","regardingobjectid_account_task@odata.bind":"accounts(00000000-0000-0000-0000-000000000001)"}',
    },
  ]);
  assert.ok(get.kind === 'request');
  assert.equal(get.request.method, 'GET');
  assert.equal(
    get.request.url,
    '/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject',
  );
  assert.deepEqual(get.request.headers, { accept: 'application/json' });
  assert.equal(get.request.body, '');
});

test('parses CRLF bodies with a quoted boundary and a leading CRLF preamble (dynamics-web-api 2.x)', () => {
  const body = '\r\n' + referenceBody.replace(/\n/g, '\r\n');
  const items = parseBatch('multipart/mixed; boundary="batch_AAA123"', body);
  assert.equal(items.length, 2);
  assert.ok(items[0].kind === 'changeset');
  assert.equal(items[0].requests[0].contentId, '1');
  assert.match(items[0].requests[0].body, /^\{"subject":"Task 1 in batch"/);
});

test('keeps $n-prefixed request lines for later resolution', () => {
  const body = [
    '--b',
    'Content-Type: multipart/mixed;boundary=cs',
    '',
    '--cs',
    'Content-Type: application/http',
    'Content-ID: 2',
    '',
    'PUT $1/lastname HTTP/1.1',
    'Content-Type: application/json',
    '',
    '{"value":"x"}',
    '--cs--',
    '--b--',
  ].join('\r\n');
  const [item] = parseBatch('multipart/mixed;boundary=b', body);
  assert.ok(item.kind === 'changeset');
  assert.equal(item.requests[0].url, '$1/lastname');
  assert.equal(item.requests[0].method, 'PUT');
});

function expectBatchError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BatchError);
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

test('rejects a GET inside a changeset', () => {
  const body = [
    '--b',
    'Content-Type: multipart/mixed; boundary=cs',
    '',
    '--cs',
    'Content-Type: application/http',
    'Content-ID: 1',
    '',
    'GET contacts HTTP/1.1',
    '',
    '--cs--',
    '--b--',
  ].join('\n');
  expectBatchError(
    () => parseBatch('multipart/mixed; boundary=b', body),
    /invalid HTTP method 'GET'.*change set/,
  );
});

test('rejects more than 1,000 requests, counting changeset members', () => {
  const part = ['--b', 'Content-Type: application/http', '', 'GET contacts HTTP/1.1', ''].join('\n');
  const ok = part.repeat(1000) + '--b--';
  assert.equal(parseBatch('multipart/mixed; boundary=b', ok).length, 1000);
  expectBatchError(
    () => parseBatch('multipart/mixed; boundary=b', part.repeat(1001) + '--b--'),
    /1001 requests; a batch can contain at most 1000/,
  );
});

test('rejects missing or non-multipart content types, missing delimiters and broken request lines', () => {
  expectBatchError(() => parseBatch(undefined, referenceBody), /multipart\/mixed with a boundary/);
  expectBatchError(() => parseBatch('application/json', '{}'), /got 'application\/json'/);
  expectBatchError(() => parseBatch('multipart/mixed', referenceBody), /boundary parameter/);
  expectBatchError(() => parseBatch('multipart/mixed; boundary=zzz', referenceBody), /delimiter '--zzz'/);
  expectBatchError(
    () => parseBatch('multipart/mixed; boundary=b', '--b\nContent-Type: application/http\n\nnonsense\n--b--'),
    /request line 'nonsense'/,
  );
  expectBatchError(
    () =>
      parseBatch('multipart/mixed; boundary=b', '--b\nContent-Type: application/http\n\nGET x HTTP/1.1\n'),
    /not valid multipart\/mixed/,
  );
});

test('rejects a Content-ID repeated inside one changeset', () => {
  const member = (id: string) =>
    [
      '--cs',
      'Content-Type: application/http',
      `Content-ID: ${id}`,
      '',
      'POST contacts HTTP/1.1',
      '',
      '{}',
    ].join('\n');
  const body = [
    '--b',
    'Content-Type: multipart/mixed; boundary=cs',
    '',
    member('1'),
    member('1'),
    '--cs--',
    '--b--',
  ].join('\n');
  expectBatchError(
    () => parseBatch('multipart/mixed; boundary=b', body),
    /Content-ID '1' is used more than once/,
  );
});
