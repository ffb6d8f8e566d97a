import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundaryOf, decodeBatchResponse, encodeBatch } from './batch-codec.ts';

const crlf = (lines: string[]) => lines.join('\r\n');

test('encodes lone parts and changesets with Content-ID, CRLF framing and JSON bodies', () => {
  const { contentType, body } = encodeBatch(
    [
      {
        changeset: false,
        request: {
          method: 'PATCH',
          url: '/api/data/v9.2/contacts(1)',
          headers: { 'If-Match': 'W/"5"' },
          body: { a: 1 },
        },
      },
      {
        changeset: true,
        requests: [
          { method: 'POST', url: '/api/data/v9.2/leads', body: { b: 2 } },
          { method: 'POST', url: '/api/data/v9.2/tasks', body: { c: 3 } },
        ],
      },
    ],
    'batch_X',
  );
  assert.equal(contentType, 'multipart/mixed; boundary=batch_X');
  assert.ok(
    body.startsWith(
      '--batch_X\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n',
    ),
  );
  assert.match(
    body,
    /PATCH \/api\/data\/v9\.2\/contacts\(1\) HTTP\/1\.1\r\nIf-Match: W\/"5"\r\nContent-Type: application\/json; type=entry\r\n\r\n\{"a":1\}\r\n/,
  );
  const changeset = /boundary=(changeset_[0-9a-f-]+)/.exec(body)![1];
  assert.match(
    body,
    new RegExp(
      `--${changeset}\\r\\nContent-Type: application/http\\r\\nContent-Transfer-Encoding: binary\\r\\nContent-ID: 2\\r\\n\\r\\nPOST /api/data/v9.2/tasks HTTP/1.1`,
    ),
  );
  assert.ok(body.endsWith(`--${changeset}--\r\n--batch_X--\r\n`));
  assert.equal(body.includes('\n') && !body.replace(/\r\n/g, '').includes('\n'), true, 'only CRLF line ends');
});

test('decodes the reference response: a changeset with 204 + OData-EntityId, then a GET with JSON', () => {
  const body = crlf([
    '--batchresponse_f27ef42d',
    'Content-Type: multipart/mixed; boundary=changesetresponse_64cc3fff',
    '',
    '--changesetresponse_64cc3fff',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 1',
    '',
    'HTTP/1.1 204 No Content',
    'OData-Version: 4.0',
    'Location: https://org.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)',
    'OData-EntityId: https://org.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)',
    '',
    '',
    '--changesetresponse_64cc3fff--',
    '--batchresponse_f27ef42d',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    'HTTP/1.1 200 OK',
    'Content-Type: application/json; odata.metadata=minimal; odata.streaming=true',
    'OData-Version: 4.0',
    '',
    '{ "value": [ { "subject": "Task 1" } ] }',
    '--batchresponse_f27ef42d--',
    '',
  ]);
  const items = decodeBatchResponse('multipart/mixed; boundary=batchresponse_f27ef42d', body);
  assert.equal(items.length, 2);
  assert.equal(items[0].kind, 'changeset');
  if (items[0].kind !== 'changeset') return;
  assert.equal(items[0].responses[0].status, 204);
  assert.equal(items[0].responses[0].contentId, '1');
  assert.match(
    items[0].responses[0].headers['odata-entityid'],
    /tasks\(e73ffc82-e292-ed11-aad1-000d3a9933c9\)$/,
  );
  assert.equal(items[1].kind, 'response');
  if (items[1].kind !== 'response') return;
  assert.equal(items[1].response.status, 200);
  assert.deepEqual(JSON.parse(items[1].response.body), { value: [{ subject: 'Task 1' }] });
});

test('decodes the failing part of a 400 batch (reference §4) and tolerates LF framing and quoted boundaries', () => {
  const body = [
    '--batchresponse_156da4b8',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    'HTTP/1.1 400 Bad Request',
    'REQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026',
    'Content-Type: application/json; odata.metadata=minimal',
    'OData-Version: 4.0',
    '',
    '{"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the \'subject\' attribute of the \'task\' entity exceeded the maximum allowed length of \'200\'."}}',
    '--batchresponse_156da4b8--',
    '',
  ].join('\n');
  const items = decodeBatchResponse('multipart/mixed; boundary="batchresponse_156da4b8"', body);
  assert.equal(items.length, 1);
  assert.equal(items[0].kind, 'response');
  if (items[0].kind !== 'response') return;
  assert.equal(items[0].response.status, 400);
  assert.equal(items[0].response.headers['req_id'], '5ecd1cb3-1730-4ffc-909c-d44c22270026');
  assert.equal(JSON.parse(items[0].response.body).error.code, '0x80044331');
});

test('a Content-Type without a boundary is a clear error', () => {
  assert.throws(() => boundaryOf('multipart/mixed'), /No multipart boundary/);
  assert.equal(boundaryOf('multipart/mixed;boundary=abc'), 'abc');
});
