import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { ApiApp } from '../../src/api/routes/route.ts';
import type { SyncAdmin } from '../../src/engine/engine.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { syncAdminDouble, syncError } from './sync-admin-double.ts';
import { auth, buildTestServer } from './support/test-server.ts';
import { tripwireStore } from './support/tripwire-store.ts';
import type { SyncErrorRecord } from '../../src/store/run-log-store.ts';

// The CSV export of the sync errors (interfaces.md §4, B6.1): every page, RFC 4180, formula-safe.
const header = 'id,entity,crmId,personId,direction,operation,code,message,firstSeen,lastSeen,count,status';

/** Messages echo CRM data, so they carry whatever a CRM user typed: formulas, quotes, line breaks. */
const hostile: SyncErrorRecord[] = [
  syncError(1, { message: '=HYPERLINK("http://evil.example","click")' }),
  syncError(2, { message: 'He said "no", twice\r\nthen left', crmId: null }),
  syncError(3, { message: '+1 555 0100', operation: '-update' }),
  syncError(4, { message: '@SUM(A1:A9)', personId: null }),
  syncError(5, { message: '\tindented', code: '\rcode' }),
  syncError(6, { entity: 'lead', message: 'plain; no quoting needed' }),
];

let double = syncAdminDouble();
let app: ApiApp;

before(async () => {
  const admin = new Proxy({} as SyncAdmin, {
    get: (_target, property) => Reflect.get(double.admin, property),
  });
  app = await buildTestServer(tripwireStore().store, { syncAdmin: admin });
});
after(() => app.close());
beforeEach(() => {
  double = syncAdminDouble({ errors: [...hostile] });
});

const exportCsv = (query: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: `/api/v1/sync/errors${query}`, headers: { ...auth, ...headers } });

test('?format=csv exports every page as an attachment, one row per error after a header', async () => {
  // More than two pages of the largest page size, so the export must follow the cursors to the end.
  double.data.errors = [...hostile, ...Array.from({ length: 2000 }, (_, n) => syncError(100 + n))];
  const response = await exportCsv('?format=csv&limit=5');
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/csv; charset=utf-8$/);
  assert.equal(response.headers['content-disposition'], 'attachment; filename="sync-errors.csv"');
  const rows = parse(response.body, { columns: true }) as Record<string, string>[];
  assert.deepEqual(
    rows.map((row) => row.id),
    double.data.errors.map((error) => error.id),
  );
  assert.deepEqual(
    double.calls.map((call) => call.args[0]),
    [{ limit: 1000 }, { limit: 1000, cursor: '1000' }, { limit: 1000, cursor: '2000' }],
  );
  const last = double.data.errors.at(-1)!;
  assert.deepEqual(
    rows.at(-1),
    Object.fromEntries(Object.entries(last).map(([key, value]) => [key, String(value)])),
  );
});

test('RFC 4180: CRLF line ends, a header row, quotes doubled inside quoted cells, empty cells for null', async () => {
  const response = await exportCsv('?format=csv');
  const lines = response.body.split('\r\n');
  assert.equal(lines[0], header);
  assert.equal(lines.at(-1), '', 'the last record ends with CRLF too');
  const second = hostile[1]!;
  assert.ok(
    response.body.includes(
      `\r\n${second.id},contact,,${second.personId},toCrm,update,0x80040265,"He said ""no"", twice\r\nthen left",`,
    ),
    response.body,
  );
  const rows = parse(response.body, { columns: true }) as Record<string, string>[];
  assert.equal(rows[1]!.message, 'He said "no", twice\r\nthen left');
  assert.equal(rows[1]!.crmId, '');
  assert.equal(rows[3]!.personId, '');
});

test('formula-safe: cells starting with =, +, -, @, tab or CR are prefixed with a quote', async () => {
  const response = await exportCsv('?format=csv');
  const rows = parse(response.body, { columns: true, relax_quotes: true }) as Record<string, string>[];
  assert.equal(rows[0]!.message, `'=HYPERLINK("http://evil.example","click")`);
  assert.equal(rows[2]!.message, `'+1 555 0100`);
  assert.equal(rows[2]!.operation, `'-update`);
  assert.equal(rows[3]!.message, `'@SUM(A1:A9)`);
  assert.equal(rows[4]!.message, `'\tindented`);
  assert.equal(rows[4]!.code, `'\rcode`);
  assert.equal(rows[5]!.message, 'plain; no quoting needed');
  // No cell of the file starts a formula.
  const cells = (parse(response.body, { relax_quotes: true }) as string[][]).flat();
  assert.deepEqual(
    cells.filter((cell) => /^[=+\-@\t\r]/.test(cell)),
    [],
  );
});

test('Accept: text/csv exports too; filters apply; ?format=json wins over Accept', async () => {
  const csv = await exportCsv('?entity=contact&q=HYPERLINK', { accept: 'text/csv' });
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
  assert.deepEqual(
    rows.map((row) => row.id),
    [hostile[0]!.id],
  );
  assert.deepEqual(double.calls[0]!.args[0], { entity: 'contact', q: 'HYPERLINK', limit: 1000 });

  const json = await exportCsv('?format=json', { accept: 'text/csv' });
  assert.match(String(json.headers['content-type']), /^application\/json/);
  assert.equal(json.json().items.length, hostile.length);

  const preferred = await exportCsv('', { accept: 'application/json;q=0.5, text/csv' });
  assert.match(String(preferred.headers['content-type']), /^text\/csv/);
  const browser = await exportCsv('', { accept: '*/*' });
  assert.match(String(browser.headers['content-type']), /^application\/json/);
});

test('an empty export is the header row alone', async () => {
  double.data.errors = [];
  const response = await exportCsv('?format=csv');
  assert.equal(response.statusCode, 200);
  assert.equal(response.body, `${header}\r\n`);
});

test('a query the engine refuses on the first page → a clean JSON error, not a broken download', async () => {
  const response = await exportCsv('?format=csv&cursor=forged');
  assert.equal(response.statusCode, 400);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal(response.json().error.code, 'INVALID_CURSOR');
  assert.equal(response.headers['content-disposition'], undefined);
});

test('a page failing mid-export cuts the download off (the client sees an error) and is logged', async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', destination: { write: (line: string) => lines.push(line) } });
  const failing = syncAdminDouble({ errors: Array.from({ length: 1500 }, (_, n) => syncError(n + 1)) });
  let calls = 0;
  const admin: SyncAdmin = {
    ...failing.admin,
    listErrors: async (query) => {
      calls += 1;
      if (calls === 2) throw new Error('the database went away');
      return failing.admin.listErrors(query);
    },
  };
  const server = await buildTestServer(tripwireStore().store, { syncAdmin: admin, logger });
  try {
    await server.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/sync/errors?format=csv`, { headers: auth });
    assert.equal(response.status, 200);
    // A complete-looking file would silently lose rows; a broken connection tells the client it failed.
    await assert.rejects(response.text());
    assert.equal(calls, 2);
    assert.ok(
      lines.some((line) => line.includes('sync-errors CSV export failed')),
      lines.join('\n'),
    );
  } finally {
    await server.close();
  }
});
