import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { silentLogger } from '../../logging/logger.ts';
import { DataverseHttp, type HttpResponse } from './dataverse-http.ts';
import { fetchPage, readPages, trailingNextLink } from './page-reader.ts';
import { toRecord, type EntityShape } from './record-mapper.ts';

/** Answers every GET with `text` (the body as the server sent it). */
function answering(text: string): DataverseHttp {
  const response: HttpResponse = { status: 200, headers: {}, text, identity: 0, startedAt: 0 };
  return { send: async () => response, dataPath: '/api/data/v9.2/' } as unknown as DataverseHttp;
}

const shape = {
  entity: { logicalName: 'contact', primaryIdAttribute: 'contactid' },
  attributes: new Map(),
} as unknown as EntityShape;

async function pageOf(text: string) {
  return fetchPage({ http: answering(text), path: 'contacts', prefer: [] }, 'contacts');
}

test('B6.1: a body with an escaped NUL or lone surrogate is not clean, and its rows are sanitised', async () => {
  for (const escaped of ['Yv\\u0000onne', '\\udc00Smith', 'Yv\\u0000onne \\ud83d\\ude00']) {
    const page = await pageOf(`{"value":[{"contactid":"c1","firstname":"${escaped}"}]}`);
    assert.equal(page.clean, false, escaped);
    const { values } = toRecord(shape, page.value[0], page);
    assert.ok(typeof values.firstname === 'string' && values.firstname.isWellFormed(), escaped);
    assert.ok(!values.firstname.includes('\u0000'), escaped);
  }
});

test('B6.1: only a body without any \\u escape is clean (an escaped backslash before a u counts too)', async () => {
  const clean = await pageOf('{"value":[{"contactid":"c1","firstname":"Jürgen 😀 Ωmega"}]}');
  assert.equal(clean.clean, true);
  assert.equal(toRecord(shape, clean.value[0], clean).values.firstname, 'Jürgen 😀 Ωmega');
  const backslash = await pageOf('{"value":[{"contactid":"c1","firstname":"C:\\\\users"}]}');
  assert.equal(backslash.clean, false);
  assert.equal(toRecord(shape, backslash.value[0], backslash).values.firstname, 'C:\\users');
});

/** Answers GETs from `bodies` by path, recording each request and whether it was aborted. */
function serving(bodies: Record<string, string>) {
  const sent: { path: string; aborted: () => boolean }[] = [];
  const http = {
    dataPath: '/api/data/v9.2/',
    send: async (req: { path: string; signal?: AbortSignal }) => {
      sent.push({ path: req.path, aborted: () => req.signal?.aborted === true });
      const text = bodies[req.path];
      if (text === undefined) throw new Error(`no body for ${req.path}`);
      return { status: 200, headers: {}, text, identity: 0, startedAt: 0 } as HttpResponse;
    },
  } as unknown as DataverseHttp;
  return { http, sent };
}

const link = (path: string) => `https://org.example.crm.dynamics.com/api/data/v9.2/${path}`;

test('a page body ending with its nextLink: the next page is asked for before the page is mapped (S3)', async () => {
  const { http, sent } = serving({
    'contacts?p=1': `{"value":[{"contactid":"c1"}],"@odata.nextLink":"${link('contacts?p=2')}"}`,
    'contacts?p=2': `{"value":[{"contactid":"c2"}],"@odata.nextLink":"${link('contacts?p=3')}"}`,
    'contacts?p=3': `{"value":[{"contactid":"c3"}]}`,
  });
  const requestsWhenMapped: number[] = [];
  const pages = readPages({ http, path: 'contacts?p=1', prefer: [] }, (page) => {
    requestsWhenMapped.push(sent.length);
    return page.value.map((row) => row.contactid);
  });
  const seen: unknown[] = [];
  for await (const ids of pages) seen.push(...ids);
  assert.deepEqual(seen, ['c1', 'c2', 'c3']);
  assert.deepEqual(requestsWhenMapped, [2, 3, 3]);
  assert.deepEqual(
    sent.map((request) => [request.path, request.aborted()]),
    [
      ['contacts?p=1', false],
      ['contacts?p=2', false],
      ['contacts?p=3', false],
    ],
  );
});

test("a link that is not the body's last member is followed once parsed; a nested nextLink is never taken", async () => {
  const { http, sent } = serving({
    // The link first, and a value quoting a link: the body does not end with a link, so nothing is sent early.
    'contacts?p=1': `{"@odata.nextLink":"${link('contacts?p=2')}","value":[{"contactid":"c1","note":"\\"@odata.nextLink\\":\\"${link('evil')}\\"}"}]}`,
    'contacts?p=2': `{"value":[{"contactid":"c2"}]}`,
  });
  const seen: unknown[] = [];
  for await (const ids of readPages({ http, path: 'contacts?p=1', prefer: [] }, (page) =>
    page.value.map((row) => row.contactid),
  ))
    seen.push(...ids);
  assert.deepEqual(seen, ['c1', 'c2']);
  assert.deepEqual(
    sent.map((request) => request.path),
    ['contacts?p=1', 'contacts?p=2'],
  );
  assert.equal(
    trailingNextLink(`{"value":[],"@odata.nextLink":"${link('a?$skiptoken=%3Ccookie%20x%3D\\"1\\"%3E')}"}`),
    link('a?$skiptoken=%3Ccookie%20x%3D"1"%3E'),
  );
  assert.equal(trailingNextLink('{"value":[{"x":{"@odata.nextLink":"u"}}]}'), undefined);
});

test('a consumer that stops after the first page lets the early request go (aborted)', async () => {
  const { http, sent } = serving({
    'contacts?p=1': `{"value":[{"contactid":"c1"}],"@odata.nextLink":"${link('contacts?p=2')}"}`,
    'contacts?p=2': `{"value":[{"contactid":"c2"}]}`,
  });
  for await (const _ of readPages({ http, path: 'contacts?p=1', prefer: [] }, (page) => page)) break;
  assert.equal(sent.length, 2);
  assert.equal(sent[1].aborted(), true);
});

/**
 * A server in a process of its own (so this process's synchronous work cannot hold it up) answering
 * `contacts?p=N` with one row and a nextLink up to `pages`, and `/arrivals` with when each request reached it.
 */
const pageServer = `
import { createServer } from 'node:http';
const arrivals = [];
let port = 0;
const server = createServer((req, res) => {
  if (req.url === '/arrivals') return void res.end(JSON.stringify(arrivals));
  arrivals.push({ url: req.url, at: Date.now() });
  const p = Number(new URL(req.url, 'http://server').searchParams.get('p'));
  const next = p < 3 ? { '@odata.nextLink': 'http://127.0.0.1:' + port + '/api/data/v9.2/contacts?p=' + (p + 1) } : {};
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ value: [{ contactid: 'c' + p }], ...next }));
});
server.listen(0, '127.0.0.1', () => { port = server.address().port; console.log(port); });
`;

test('S3: the next page request reaches the server before the current page is mapped, not after', async (t) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', pageServer], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill());
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const origin = `http://127.0.0.1:${Number(chunk.toString().trim())}`;
  const http = new DataverseHttp({
    url: origin,
    tokens: [{ getToken: async () => 'token', invalidate: () => false }],
    logger: silentLogger(),
  });
  t.after(() => http.close());
  // Mapping a page holds the event loop as parsing and applying a large page does (here 400 ms).
  const mappedAt: number[] = [];
  const pages = readPages({ http, path: 'contacts?p=1', prefer: [] }, (page) => {
    mappedAt.push(Date.now());
    const until = Date.now() + 400;
    while (Date.now() < until);
    return page.value.length;
  });
  let rows = 0;
  for await (const count of pages) rows += count;
  assert.equal(rows, 3);
  const arrivals = (await (await fetch(`${origin}/arrivals`)).json()) as { url: string; at: number }[];
  assert.deepEqual(
    arrivals.map((arrival) => arrival.url),
    ['/api/data/v9.2/contacts?p=1', '/api/data/v9.2/contacts?p=2', '/api/data/v9.2/contacts?p=3'],
  );
  // Page N+1's request left before page N's mapping began; one sent after it would arrive ≥ 400 ms later.
  for (const page of [1, 2]) {
    const lead = mappedAt[page - 1] + 200 - arrivals[page].at;
    assert.ok(
      lead > 0,
      `page ${page + 1} reached the server ${-lead + 200} ms after page ${page}'s mapping began`,
    );
  }
});
