import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getJsonBatched } from './batched-gets.ts';
import type { DataverseHttp, HttpRequest, HttpResponse } from './dataverse-http.ts';

/** A multipart `$batch` answer in Dataverse's framing, one part per `[status line, body]`. */
function batchAnswer(parts: [string, unknown][]): HttpResponse {
  const boundary = 'batchresponse_unit';
  const lines: string[] = [];
  for (const [status, body] of parts) {
    lines.push(`--${boundary}`, 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '');
    lines.push(`HTTP/1.1 ${status}`, 'Content-Type: application/json; odata.metadata=minimal', '');
    lines.push(JSON.stringify(body));
  }
  lines.push(`--${boundary}--`, '');
  return {
    status: 200,
    headers: { 'content-type': `multipart/mixed; boundary=${boundary}` },
    text: lines.join('\r\n'),
    identity: 0,
    startedAt: 0,
  } as HttpResponse;
}

function stubHttp(batch: HttpResponse, alone: Record<string, unknown>) {
  const sent: HttpRequest[] = [];
  const http = {
    dataPath: '/api/data/v9.2/',
    send: async (req: HttpRequest) => {
      sent.push(req);
      if (req.path === '$batch') return batch;
      return { status: 200, headers: {}, text: JSON.stringify(alone[req.path]), identity: 0, startedAt: 0 };
    },
  } as unknown as DataverseHttp;
  return { http, sent };
}

test('a part the batch answered with an error is read again alone; the others come from the batch', async () => {
  const { http, sent } = stubHttp(
    batchAnswer([
      ['200 OK', { value: ['a'] }],
      ['503 Service Unavailable', { error: { code: '', message: 'busy' } }],
      ['200 OK', { value: ['c'] }],
    ]),
    { 'b?x=1': { value: ['b alone'] } },
  );
  const answers = await getJsonBatched<{ value: string[] }>(http, ['a?x=1', 'b?x=1', 'c?x=1']);
  assert.deepEqual(answers, [{ value: ['a'] }, { value: ['b alone'] }, { value: ['c'] }]);
  assert.deepEqual(
    sent.map((req) => [req.method, req.path]),
    [
      ['POST', '$batch'],
      ['GET', 'b?x=1'],
    ],
  );
  assert.match(String(sent[0].body), /\r\nGET \/api\/data\/v9\.2\/a\?x=1 HTTP\/1\.1\r\n/);
  assert.equal(sent[0].idempotent, true, 'reads only: the batch may be sent again');
});

test('a batch answered without parts (not multipart) falls back to reading every path alone', async () => {
  const notMultipart = { status: 200, headers: {}, text: '{}', identity: 0, startedAt: 0 } as HttpResponse;
  const { http, sent } = stubHttp(notMultipart, { p: { n: 1 }, q: { n: 2 } });
  assert.deepEqual(await getJsonBatched(http, ['p', 'q']), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(
    sent.map((req) => req.path),
    ['$batch', 'p', 'q'],
  );
});
