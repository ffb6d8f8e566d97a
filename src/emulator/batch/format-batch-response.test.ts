import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBatchResponse } from './format-batch-response.ts';

test('frames a changeset and a GET exactly like the reference §4 response', () => {
  const ids = ['f27ef42d-51b0-4685-bac9-f468f844de2f', '64cc3fff-023a-45b0-b29d-df21583ffa15'];
  const entityId = 'https://org.crm.dynamics.com/api/data/v9.2/tasks(e73ffc82-e292-ed11-aad1-000d3a9933c9)';
  const json = '{"@odata.context":"x","value":[]}';
  const { contentType, body } = formatBatchResponse(
    [
      {
        kind: 'changeset',
        responses: [
          {
            contentId: '1',
            response: {
              status: 204,
              headers: { 'odata-version': '4.0', 'OData-EntityId': entityId },
              body: '',
            },
          },
        ],
      },
      {
        kind: 'response',
        response: {
          status: 200,
          headers: {
            'content-type': 'application/json; odata.metadata=minimal',
            'OData-Version': '4.0',
            'content-length': '33',
          },
          body: json,
        },
      },
    ],
    () => ids.shift()!,
  );
  assert.equal(contentType, 'multipart/mixed; boundary=batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f');
  const expected = [
    '--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f',
    'Content-Type: multipart/mixed; boundary=changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15',
    '',
    '--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    'Content-ID: 1',
    '',
    'HTTP/1.1 204 No Content',
    'OData-Version: 4.0',
    `Location: ${entityId}`,
    `OData-EntityId: ${entityId}`,
    '',
    '',
    '--changesetresponse_64cc3fff-023a-45b0-b29d-df21583ffa15--',
    '--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    'HTTP/1.1 200 OK',
    'Content-Type: application/json; odata.metadata=minimal; odata.streaming=true',
    'OData-Version: 4.0',
    '',
    json,
    '--batchresponse_f27ef42d-51b0-4685-bac9-f468f844de2f--',
    '',
  ].join('\r\n');
  assert.equal(body, expected);
});

test('status lines satisfy the dynamics-web-api parser pattern', () => {
  const { body } = formatBatchResponse([
    { kind: 'response', response: { status: 412, headers: {}, body: '{"error":{"code":"","message":"m"}}' } },
  ]);
  const match = /HTTP\/?\s*[\d.]*\s+(\d{3})\s+([\w\s]*)$/m.exec(body);
  assert.ok(match);
  assert.equal(match[1], '412');
  assert.equal(match[2].trim(), 'Precondition Failed');
  assert.ok(body.startsWith('--batchresponse_'));
});
