import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { batchResponse, startFakeDataverse, type FakeDataverse, type FakeHandler } from './fake-dataverse.ts';

const token = 'secret-token-123';
const whoAmI = {
  status: 200,
  body: { UserId: 'u1', BusinessUnitId: 'b1', OrganizationId: 'o1' },
} as const;
const fastRetry = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 5_000 };

const servers: FakeDataverse[] = [];
const connectors: DataverseConnector[] = [];
after(async () => {
  await Promise.all(connectors.map((connector) => connector.close()));
  await Promise.all(servers.map((server) => server.close()));
});

async function setup(
  handler: FakeHandler,
  tokens?: { getToken(): Promise<string>; invalidate(): boolean },
  timeoutMs?: number,
) {
  const server = await startFakeDataverse(handler);
  servers.push(server);
  const connector = new DataverseConnector({
    url: server.url,
    auth: { kind: 'static-token', token },
    logger: silentLogger(),
    retry: fastRetry,
    ...(tokens ? { tokens } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  connectors.push(connector);
  return { server, connector };
}

test('B6.2: a 429 is retried after Retry-After, with the bearer token and OData headers', async () => {
  let calls = 0;
  const { server, connector } = await setup((req) => {
    if (!req.url.endsWith('/WhoAmI()')) return undefined;
    calls += 1;
    return calls === 1
      ? {
          status: 429,
          headers: { 'retry-after': '1' },
          body: {
            error: {
              code: '0x80072322',
              message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
            },
          },
        }
      : whoAmI;
  });
  const me = await connector.whoAmI();
  assert.equal(me.userId, 'u1');
  assert.equal(server.requests.length, 2);
  const [first, second] = server.requests;
  assert.ok(second.at - first.at >= 1000, `waited ${second.at - first.at} ms, Retry-After said 1 s`);
  assert.equal(first.headers.authorization, `Bearer ${token}`);
  assert.equal(first.headers['odata-version'], '4.0');
  assert.equal(first.headers['odata-maxversion'], '4.0');
  assert.equal(connector.stats().throttled, 1);
  assert.equal(connector.stats().retries, 1);
});

test('B6.2: 5xx and dropped connections are retried until success', async () => {
  let calls = 0;
  const { server, connector } = await setup((req) => {
    if (!req.url.endsWith('/WhoAmI()')) return undefined;
    calls += 1;
    if (calls === 1) return { status: 503, body: { error: { code: '', message: 'Service Unavailable' } } };
    if (calls === 2) return { status: 502, body: 'Bad Gateway' };
    if (calls === 3) return { status: 200, destroy: true };
    return whoAmI;
  });
  assert.equal((await connector.whoAmI()).organizationId, 'o1');
  assert.equal(server.requests.length, 4);
});

test('B6.2: a response that never comes is a time-out, retried like any transient failure', async () => {
  let calls = 0;
  const { connector } = await setup(
    async (req) => {
      if (!req.url.endsWith('/WhoAmI()')) return undefined;
      calls += 1;
      if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 1000));
      return whoAmI;
    },
    undefined,
    200,
  );
  assert.equal((await connector.whoAmI()).userId, 'u1');
  // At least one retry after the time-out (counted on arrival: the abandoned first answer may still be pending);
  // on a loaded machine a retry may itself time out once more.
  assert.ok(calls >= 2, `WhoAmI calls: ${calls}`);
  assert.ok(connector.stats().retries >= 1);
});

test('B6.2: a persistent 5xx ends as a transient CrmError once the budget is spent', async () => {
  const { server, connector } = await setup((req) =>
    req.url.endsWith('/WhoAmI()')
      ? { status: 500, body: { error: { code: '0x80040216', message: 'Generic SQL error.' } } }
      : undefined,
  );
  await assert.rejects(connector.whoAmI(), (error: unknown) => {
    assert.ok(isCrmError(error));
    assert.equal(error.errorClass, 'transient');
    assert.equal(error.reason, 'server');
    assert.equal(error.code, 'CRM_SERVER_ERROR');
    return true;
  });
  assert.equal(server.requests.length, fastRetry.maxAttempts);
});

test('B6.3: a 401 refreshes the token once, then fails pass-level without revealing the token', async () => {
  let invalidations = 0;
  const { server, connector } = await setup(
    (req) =>
      req.url.endsWith('/WhoAmI()')
        ? {
            status: 401,
            headers: { 'www-authenticate': 'Bearer authorization_uri=https://login/x' },
            body: '',
          }
        : undefined,
    {
      getToken: () => Promise.resolve(token),
      invalidate: () => {
        invalidations += 1;
        return invalidations === 1;
      },
    },
  );
  await assert.rejects(connector.whoAmI(), (error: unknown) => {
    assert.ok(isCrmError(error));
    assert.equal(error.errorClass, 'pass');
    assert.equal(error.code, 'CRM_AUTH_FAILED');
    assert.ok(!JSON.stringify({ m: error.message, d: error.details }).includes(token));
    return true;
  });
  assert.equal(server.requests.length, 2, 'one retry with a fresh token');
});

test('a non-idempotent request (an action) is not re-sent after an ambiguous 500', async () => {
  const { server, connector } = await setup((req) =>
    req.url.includes('QualifyLead')
      ? { status: 500, body: { error: { code: '', message: 'boom' } } }
      : undefined,
  );
  await assert.rejects(connector.qualifyLead('11111111-1111-1111-1111-111111111111'), /boom/);
  assert.equal(server.requests.filter((r) => r.url.includes('QualifyLead')).length, 1);
});

test('x-ms-dop-hint sets the starting concurrency', async () => {
  const { connector } = await setup((req) =>
    req.url.endsWith('/WhoAmI()') ? { ...whoAmI, headers: { 'x-ms-dop-hint': '9' } } : undefined,
  );
  await connector.whoAmI();
  assert.equal(connector.stats().concurrencyLimit, 9);
});

test('B4.5/B6.1/B5.6: one $batch with continue-on-error maps every part to its own outcome', async () => {
  const ids = ['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b'];
  let batches = 0;
  const { server, connector } = await setup((req) => {
    if (!req.url.endsWith('/$batch')) return undefined;
    batches += 1;
    if (batches === 2) {
      // The re-sent throttled part alone.
      return batchResponse([{ status: '200 OK', body: { '@odata.etag': 'W/"9"', contactid: ids[0] } }]);
    }
    return batchResponse([
      {
        status: '429 Too Many Requests',
        headers: { 'Retry-After': '0' },
        body: {
          error: { code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 52.' },
        },
      },
      {
        status: '412 Precondition Failed',
        body: {
          error: {
            code: '',
            message: "The version of the existing record doesn't match the RowVersion property provided.",
          },
        },
      },
      { status: '400 Bad Request', body: { error: { code: '0x80040265', message: 'Email is required.' } } },
      {
        status: '400 Bad Request',
        body: {
          error: {
            code: '0x80060888',
            message: "Could not find a property named 'new_gone' on type 'Microsoft.Dynamics.CRM.contact'.",
          },
        },
      },
      {
        status: '201 Created',
        headers: { 'OData-EntityId': `${server.url}/api/data/v9.2/contacts(${ids[1]})` },
        body: { '@odata.etag': 'W/"7"', contactid: ids[1] },
      },
      {
        status: '412 Precondition Failed',
        body: {
          error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
        },
      },
    ]);
    // The default write path ($batch): this test is about mapping the parts of one $batch.
  });
  const outcomes = await connector.write([
    { kind: 'update', entity: 'contact', id: ids[0], values: { firstname: 'A' }, etag: 'W/"1"' },
    { kind: 'update', entity: 'contact', id: ids[0], values: { firstname: 'B' }, etag: 'W/"1"' },
    { kind: 'update', entity: 'contact', id: ids[0], values: { firstname: 'C' } },
    { kind: 'update', entity: 'contact', id: ids[0], values: { new_gone: 'x' } },
    { kind: 'create', entity: 'contact', values: { firstname: 'D' } },
    { kind: 'create', entity: 'contact', id: ids[1], values: { firstname: 'E' } },
  ]);
  assert.deepEqual(outcomes, [
    { status: 'ok', id: ids[0], etag: 'W/"9"' },
    { status: 'stale-etag' },
    {
      status: 'rejected',
      reason: 'plugin',
      crmCode: '0x80040265',
      message: 'Email is required.',
      httpStatus: 400,
    },
    {
      status: 'field-error',
      field: 'new_gone',
      crmCode: '0x80060888',
      message: "Could not find a property named 'new_gone' on type 'Microsoft.Dynamics.CRM.contact'.",
    },
    { status: 'ok', id: ids[1], etag: 'W/"7"' },
    { status: 'already-exists', id: ids[1] },
  ]);
  const first = server.requests.find((r) => r.url.endsWith('/$batch'))!;
  assert.equal(first.headers.prefer, 'odata.continue-on-error');
  assert.match(String(first.headers['content-type']), /^multipart\/mixed; boundary=batch_/);
  assert.match(
    first.body,
    /PATCH \/api\/data\/v9\.2\/contacts\(0{8}-0{4}-0{4}-0{4}-0{11}a\)\?\$select=contactid HTTP\/1\.1\r\n/,
  );
  assert.match(first.body, /if-match: W\/"1"/);
  assert.match(first.body, /if-match: \*/, 'an update without ETag still never creates');
  assert.match(first.body, /"contactid":"0{8}-0{4}-0{4}-0{4}-0{11}b"/, 'the client id is sent');
  const second = server.requests.filter((r) => r.url.endsWith('/$batch'))[1];
  assert.equal((second.body.match(/HTTP\/1\.1\r\n/g) ?? []).length, 1, 'only the throttled part is re-sent');
});

test('B6.3: a pass-level failure inside a batch (entity privilege) throws instead of blaming records', async () => {
  const { connector } = await setup((req) =>
    req.url.endsWith('/$batch')
      ? batchResponse([
          {
            status: '403 Forbidden',
            body: {
              error: {
                code: '0x80040220',
                message:
                  "Principal user (Id=1) is missing prvWriteContact privilege (Id=2) on OTC=2 for entity 'contact'.",
              },
            },
          },
        ])
      : undefined,
  );
  await assert.rejects(
    connector.write([
      {
        kind: 'update',
        entity: 'contact',
        id: '00000000-0000-0000-0000-000000000001',
        values: { firstname: 'x' },
      },
    ]),
    (error: unknown) =>
      isCrmError(error) && error.reason === 'entity-privilege' && error.code === 'CRM_PRIVILEGE_MISSING',
  );
});

test('bad ids never reach a URL', async () => {
  const { connector } = await setup(() => undefined);
  await assert.rejects(connector.retrieve('contact', "x') or (1=1", ['firstname']), /not a Dataverse id/);
  await assert.rejects(connector.getEntity("contact'"), /not a logical name/);
});
