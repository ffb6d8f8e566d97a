import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ChangePage } from '../../src/connectors/connector.ts';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { startFakeDataverse, type FakeDataverse, type FakeHandler } from './fake-dataverse.ts';

// Shapes follow the protocol reference §1.1 and §2 (paging cookies, delta links, $deletedEntity rows).

const servers: FakeDataverse[] = [];
const connectors: DataverseConnector[] = [];
after(async () => {
  await Promise.all(connectors.map((connector) => connector.close()));
  await Promise.all(servers.map((server) => server.close()));
});

async function setup(handler: FakeHandler) {
  const server = await startFakeDataverse(handler);
  servers.push(server);
  const connector = new DataverseConnector({
    url: server.url,
    auth: { kind: 'static-token', token: 't' },
    logger: silentLogger(),
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, budgetMs: 100 },
  });
  connectors.push(connector);
  return { server, connector };
}

async function collect<T = ChangePage>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

const row = (id: string, name: string, version: number) => ({
  '@odata.etag': `W/"${version}"`,
  firstname: name,
  contactid: id,
});

test('B2.3/B2.4: the tracked initial load pages with nextLinks, ends on a delta link, then reads upserts and deletes', async () => {
  const { server, connector } = await setup((req) => {
    if (!req.url.startsWith('/api/data/v9.2/contacts')) return undefined;
    const base = `${server.url}/api/data/v9.2/contacts?$select=contactid,firstname`;
    if (req.url.includes('$deltatoken=2')) {
      return {
        status: 200,
        body: {
          '@odata.context': `${server.url}/api/data/v9.2/$metadata#contacts(contactid,firstname)/$delta`,
          '@odata.deltaLink': `${base}&$deltatoken=3%2101%2f01%2f2026%2000%3a00%3a02`,
          value: [
            row('c1', 'Anna', 7),
            {
              '@odata.context': `${server.url}/api/data/v9.2/$metadata#contacts/$deletedEntity`,
              id: 'c2',
              reason: 'deleted',
            },
          ],
        },
      };
    }
    if (req.url.includes('$skiptoken')) {
      return {
        status: 200,
        body: {
          '@odata.deltaLink': `${base}&$deltatoken=2%2101%2f01%2f2026%2000%3a00%3a01`,
          value: [row('c2', 'Bo', 2)],
        },
      };
    }
    return {
      status: 200,
      headers: { 'preference-applied': 'odata.track-changes' },
      body: {
        '@odata.nextLink': `${base}&$skiptoken=%3Ccookie%20pagenumber=%222%22%20istracking=%22True%22%20/%3E`,
        value: [row('c1', 'Ann', 1)],
      },
    };
  });

  const initial = await collect(connector.readChanges('contact', ['firstname'], undefined, { pageSize: 1 }));
  assert.deepEqual(
    initial.map((page) => [page.upserts.map((r) => r.values.firstname), page.final]),
    [
      [['Ann'], false],
      [['Bo'], true],
    ],
  );
  const first = server.requests.find((r) => r.url.startsWith('/api/data/v9.2/contacts'))!;
  assert.match(String(first.headers.prefer), /odata\.track-changes/);
  assert.match(String(first.headers.prefer), /odata\.maxpagesize=1/);
  assert.equal(initial[0].upserts[0].etag, 'W/"1"');

  // A crash after page 1: resuming from its cursor redoes only page 2 (B2.4).
  const resumed = await collect(connector.readChanges('contact', ['firstname'], initial[0].cursor));
  assert.deepEqual(
    resumed.map((page) => page.upserts.map((r) => r.id)),
    [['c2']],
  );

  const delta = await collect(connector.readChanges('contact', ['firstname'], initial[1].cursor));
  assert.equal(delta.length, 1);
  assert.deepEqual(
    delta[0].upserts.map((r) => [r.id, r.values.firstname]),
    [['c1', 'Anna']],
  );
  assert.deepEqual(delta[0].deletes, ['c2']);
  assert.equal(delta[0].final, true);
  assert.match(JSON.parse(delta[0].cursor).link, /\$deltatoken=3/);
});

test('B2.5: an expired delta token surfaces as an expired-cursor CrmError', async () => {
  const { connector } = await setup((req) =>
    req.url.includes('$deltatoken')
      ? {
          status: 400,
          body: {
            error: {
              code: '0x80044352',
              message: 'Version stamp associated with the client has expired. Please perform a full sync.',
            },
          },
        }
      : undefined,
  );
  const cursor = JSON.stringify({
    v: 1,
    mode: 'delta',
    link: 'contacts?$select=contactid,firstname&$deltatoken=1',
    select: ['firstname'],
  });
  await assert.rejects(
    collect(connector.readChanges('contact', ['firstname'], cursor)),
    (error: unknown) =>
      isCrmError(error) && error.errorClass === 'expired-cursor' && error.code === 'CRM_CURSOR_EXPIRED',
  );
});

test('a newly selected column rebases the delta link onto the new $select', async () => {
  const { server, connector } = await setup((req) =>
    req.url.startsWith('/api/data/v9.2/contacts')
      ? {
          status: 200,
          body: { '@odata.deltaLink': `${server.url}/api/data/v9.2/contacts?$deltatoken=9`, value: [] },
        }
      : undefined,
  );
  const cursor = JSON.stringify({
    v: 1,
    mode: 'delta',
    link: 'contacts?$select=contactid&$deltatoken=8',
    select: [],
  });
  const pages = await collect(connector.readChanges('contact', ['firstname'], cursor));
  assert.equal(pages.length, 1);
  const sent = server.requests.find((r) => r.url.startsWith('/api/data/v9.2/contacts'))!;
  assert.equal(sent.url, '/api/data/v9.2/contacts?$deltatoken=8&$select=contactid,firstname');
});

test('B2.5: a server refusing the rebased delta link makes the engine reconcile', async () => {
  const { connector } = await setup((req) =>
    req.url.startsWith('/api/data/v9.2/contacts')
      ? {
          status: 400,
          body: { error: { code: '0x80040203', message: 'Invalid delta token for this query.' } },
        }
      : undefined,
  );
  const cursor = JSON.stringify({
    v: 1,
    mode: 'delta',
    link: 'contacts?$select=contactid&$deltatoken=8',
    select: [],
  });
  await assert.rejects(
    collect(connector.readChanges('contact', ['firstname'], cursor)),
    (error: unknown) => isCrmError(error) && error.errorClass === 'expired-cursor',
  );
});

test('a nextLink naming another host is followed on the configured organisation (the token stays home)', async () => {
  const { server, connector } = await setup((req) => {
    if (!req.url.startsWith('/api/data/v9.2/contacts')) return undefined;
    return req.url.includes('$skiptoken')
      ? { status: 200, body: { value: [row('c2', 'Bo', 2)] } }
      : {
          status: 200,
          body: {
            '@odata.nextLink':
              'https://elsewhere.example/api/data/v9.2/contacts?$select=firstname&$skiptoken=2',
            value: [row('c1', 'Ann', 1)],
          },
        };
  });
  const pages = await collect(connector.readAll('contact', ['firstname']));
  assert.deepEqual(
    pages.flatMap((page) => page.records.map((record) => record.id)),
    ['c1', 'c2'],
  );
  assert.ok(server.requests.some((r) => r.url === '/api/data/v9.2/contacts?$select=firstname&$skiptoken=2'));
});

test('B2.3: without change tracking, a modifiedon watermark with overlap re-reads and de-duplicates', async () => {
  const rows = [
    { '@odata.etag': 'W/"1"', new_plainid: 'p1', firstname: 'a', modifiedon: '2026-01-01T10:00:00Z' },
    { '@odata.etag': 'W/"2"', new_plainid: 'p2', firstname: 'b', modifiedon: '2026-01-01T10:01:00Z' },
  ];
  const { server, connector } = await setup((req) => {
    if (!req.url.startsWith('/api/data/v9.2/new_plains')) return undefined;
    const since = /modifiedon ge (\S+?)&/.exec(req.url)?.[1];
    const value = rows.filter((r) => since === undefined || Date.parse(r.modifiedon) >= Date.parse(since));
    return { status: 200, body: { value } };
  });
  const first = await collect(connector.readChanges('new_plain', ['firstname'], undefined));
  assert.deepEqual(
    first[0].upserts.map((r) => r.id),
    ['p1', 'p2'],
  );
  assert.equal(first[0].final, true);
  assert.deepEqual(first[0].deletes, []);

  rows.push({
    '@odata.etag': 'W/"3"',
    new_plainid: 'p3',
    firstname: 'c',
    modifiedon: '2026-01-01T10:01:00Z',
  });
  rows[1] = { ...rows[1], '@odata.etag': 'W/"4"', firstname: 'B' };
  const second = await collect(connector.readChanges('new_plain', ['firstname'], first[0].cursor));
  const query = server.requests.filter((r) => r.url.startsWith('/api/data/v9.2/new_plains'))[1].url;
  assert.match(
    query,
    /\$filter=modifiedon ge 2026-01-01T09:59:00Z/,
    'the re-read starts one overlap (120 s) earlier',
  );
  assert.match(query, /\$orderby=modifiedon asc,new_plainid asc/);
  assert.deepEqual(
    second[0].upserts.map((r) => [r.id, r.values.firstname]),
    [
      ['p2', 'B'],
      ['p3', 'c'],
    ],
    'p1 is inside the overlap but unchanged, so it is not delivered again',
  );
});

test('readAll splits the rows into createdon partitions read in parallel', async () => {
  const { server, connector } = await setup((req) => {
    if (!req.url.startsWith('/api/data/v9.2/contacts')) return undefined;
    if (req.url.includes('$top=1')) {
      const created = req.url.includes('createdon asc') ? '2026-01-01T00:00:00Z' : '2026-01-05T00:00:00Z';
      return { status: 200, body: { value: [{ contactid: 'x', createdon: created }] } };
    }
    return { status: 200, body: { value: [row(`id-${req.url.length}`, req.url.slice(-40), 1)] } };
  });
  const pages = [];
  for await (const page of connector.readAll('contact', ['firstname'], { partitions: 4 })) pages.push(page);
  assert.deepEqual(pages.map((page) => page.partition).sort(), [0, 1, 2, 3]);
  const filters = server.requests
    .filter((r) => r.url.includes('$filter=') && !r.url.includes('$top=1'))
    .map((r) => /\$filter=(.*)$/.exec(r.url)![1])
    .sort();
  assert.deepEqual(filters, [
    '(createdon lt 2026-01-02T00:00:00Z or createdon eq null)',
    'createdon ge 2026-01-02T00:00:00Z and createdon lt 2026-01-03T00:00:00Z',
    'createdon ge 2026-01-03T00:00:00Z and createdon lt 2026-01-04T00:00:00Z',
    'createdon ge 2026-01-04T00:00:00Z',
  ]);
});
