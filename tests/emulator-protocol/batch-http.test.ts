import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import { openEmulator, syncToken } from '../emulator/emulator-test-context.ts';

// $batch over real HTTP (reference §4), with dynamics-web-api unchanged (issue 2 acceptance 2).
let ctx: Awaited<ReturnType<typeof openEmulator>>;
let dwa: DynamicsWebApi;

before(async () => {
  ctx = await openEmulator();
  dwa = new DynamicsWebApi({
    serverUrl: ctx.emulator.url,
    dataApi: { version: '9.2' },
    onTokenRefresh: async () => syncToken,
  });
});
after(() => ctx.close());

interface DwaError {
  status: number;
  error: { code: string; message: string };
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function contactsNamed(lastname: string): Promise<Array<Record<string, unknown>>> {
  const result = await ctx.request(
    'GET',
    `contacts?$select=fullname,_parentcustomerid_value&$filter=lastname eq '${lastname}'`,
  );
  assert.equal(result.status, 200, result.text);
  return result.json.value;
}

test('dynamics-web-api executeBatch: a changeset with a $1 reference, then a GET', async () => {
  dwa.startBatch();
  void dwa.create({ collection: 'accounts', data: { name: 'Batch Holdings' }, contentId: '1' });
  void dwa.create({
    collection: 'contacts',
    data: { lastname: 'Inbatch', 'parentcustomerid_account@odata.bind': '$1' },
  });
  void dwa.retrieveMultiple({
    collection: 'contacts',
    select: ['lastname'],
    filter: "lastname eq 'Inbatch'",
  });
  const results = (await dwa.executeBatch()) as unknown[];
  assert.equal(results.length, 3);
  const [accountId, contactId, query] = results as [
    string,
    string,
    { value: Array<Record<string, unknown>> },
  ];
  assert.match(accountId, guid);
  assert.match(contactId, guid);
  assert.equal(query.value.length, 1);
  assert.equal(query.value[0].contactid, contactId);
  const [stored] = await contactsNamed('Inbatch');
  assert.equal(stored._parentcustomerid_value, accountId, '$1 bound the new account');
});

test('dynamics-web-api executeBatch without continueOnError: a failing changeset rejects and rolls back', async () => {
  dwa.startBatch();
  void dwa.create({ collection: 'contacts', data: { lastname: 'Rolledback' } });
  void dwa.create({ collection: 'contacts', data: { lastname: 'x'.repeat(5000) } });
  await assert.rejects(dwa.executeBatch(), (error: unknown) => {
    // dynamics-web-api 2.x rejects with the failing parts: the server's `error` plus the part's status.
    const first = (Array.isArray(error) ? error[0] : error) as DwaError;
    assert.equal(first.status, 400);
    assert.equal(first.error.code, '0x80044331');
    assert.match(first.error.message, /exceeded the maximum allowed length/);
    return true;
  });
  assert.deepEqual(await contactsNamed('Rolledback'), [], 'the changeset was rolled back');
});

test('dynamics-web-api executeBatch with continueOnError: every part answered, failures inline', async () => {
  dwa.startBatch();
  void dwa.retrieve({
    collection: 'contacts',
    key: '00000000-0000-0000-0000-0000000000ab',
    select: ['fullname'],
  });
  void dwa.create({ collection: 'contacts', data: { lastname: 'Continued' } });
  const results = (await dwa.executeBatch({ continueOnError: true })) as unknown[];
  assert.equal(results.length, 2);
  const failure = results[0] as DwaError;
  assert.equal(failure.status, 404);
  assert.equal(failure.error.code, '0x80040217');
  assert.match(String(results[1]), guid);
  assert.equal((await contactsNamed('Continued')).length, 1);
});

/** POSTs a raw multipart body (the shared helper would send it as JSON). */
async function postBatch(
  body: string,
  contentType = 'multipart/mixed; boundary=batch_raw',
  token: string | null = syncToken,
) {
  const headers: Record<string, string> = { 'Content-Type': contentType, Accept: 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${ctx.api}$batch`, { method: 'POST', headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text.startsWith('{') ? JSON.parse(text) : undefined,
  };
}

function rawBatch(parts: string[], eol = '\n'): string {
  return [...parts, '--batch_raw--', ''].join(eol);
}
const getPart = (url: string) =>
  [
    '--batch_raw',
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    '',
    `GET ${url} HTTP/1.1`,
    'Accept: application/json',
    '',
  ].join('\n');

test('raw batches: CRLF and LF bodies, quoted boundary, response framing and Content-Type', async () => {
  for (const eol of ['\n', '\r\n']) {
    const result = await postBatch(
      rawBatch([getPart('/api/data/v9.2/accounts?$top=1&$select=name').replace(/\n/g, eol)], eol),
      'multipart/mixed; boundary="batch_raw"',
    );
    assert.equal(result.status, 200, result.text);
    const boundary = /^multipart\/mixed; boundary=(batchresponse_[0-9a-f-]{36})$/.exec(
      result.headers.get('content-type') ?? '',
    );
    assert.ok(boundary, `content type ${result.headers.get('content-type')}`);
    assert.ok(result.text.startsWith(`--${boundary[1]}\r\nContent-Type: application/http\r\n`));
    assert.match(result.text, /\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    assert.ok(result.text.endsWith(`--${boundary[1]}--\r\n`));
  }
});

test('more than 1,000 requests → 400 Dataverse error, nothing executed', async () => {
  const body = rawBatch(Array.from({ length: 1001 }, () => getPart('accounts?$top=1')));
  const result = await postBatch(body, 'multipart/mixed;boundary=batch_raw');
  assert.equal(result.status, 400);
  assert.deepEqual(Object.keys(result.json), ['error']);
  assert.match(result.json.error.message, /1001 requests; a batch can contain at most 1000/);
});

test('an undeclared Content-ID reference fails with the service message', async () => {
  const body = rawBatch([
    [
      '--batch_raw',
      'Content-Type: multipart/mixed; boundary=cs_raw',
      '',
      '--cs_raw',
      'Content-Type: application/http',
      'Content-ID: 1',
      '',
      'PATCH $4 HTTP/1.1',
      'Content-Type: application/json',
      '',
      '{"lastname":"x"}',
      '--cs_raw--',
    ].join('\n'),
  ]);
  const result = await postBatch(body);
  assert.equal(result.status, 400);
  assert.match(result.text, /Content-ID Reference: '\$4' does not exist in the batch context\./);
});

test('an unauthenticated batch is answered 401 as a whole', async () => {
  const result = await postBatch(rawBatch([getPart('accounts')]), undefined, null);
  assert.equal(result.status, 401);
  assert.match(result.headers.get('www-authenticate') ?? '', /^Bearer authorization_uri=/);
});
