/**
 * Client benchmark behind the connector's "own client on undici vs dynamics-web-api" decision
 * (docs/architecture.md, Connector). Both clients talk to the same server, one at a time, over loopback:
 *
 *   npx node tests/connector/bench/client-bench.ts                      # a canned in-process server
 *   npx node tests/connector/bench/client-bench.ts http://127.0.0.1:8081 # a running emulator (static token)
 *
 * Measures rows/s reading pages of 5,000 contacts (following @odata.nextLink) and writes/s updating contacts
 * through $batch (100 per batch, continue-on-error, several batches in flight). Bounded: fixed row counts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamicsWebApi } from 'dynamics-web-api';
import { DataverseConnector } from '../../../src/connectors/dataverse/dataverse-connector.ts';
import { silentLogger } from '../../../src/logging/logger.ts';
import { metadataAnswer } from '../fake-dataverse.ts';

const target = process.argv[2];
const token = process.env.BENCH_TOKEN ?? 'emulator-sync-token';
const pages = 20;
const pageSize = 5000;
const writes = 4000;
const batchSize = 100;
const parallelBatches = 4;

async function main(): Promise<void> {
  const server = target === undefined ? await cannedServer() : undefined;
  const url = target ?? server!.url;
  const ids = await contactIds(url);
  console.log(`server: ${target ?? 'canned in-process'}; ${ids.length} contact ids for writes`);
  // Alternating the order per round cancels warm-up and garbage-collection bias between the two clients.
  for (let round = 1; round <= 4; round += 1) {
    const own = async () => [await readOwn(url), await writeOwn(url, ids)];
    const other = async () => [await readDwa(url), await writeDwa(url, ids)];
    const [ownResult, otherResult] =
      round % 2 === 1 ? [await own(), await other()] : [...[await other(), await own()].reverse()];
    console.log(`round ${round} (${round % 2 === 1 ? 'own first' : 'dynamics-web-api first'})`);
    console.log(`  read  rows/s    own ${format(ownResult[0])}   dynamics-web-api ${format(otherResult[0])}`);
    console.log(`  write writes/s  own ${format(ownResult[1])}   dynamics-web-api ${format(otherResult[1])}`);
  }
  await server?.close();
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US').padStart(9);
}

function connector(url: string): DataverseConnector {
  return new DataverseConnector({ url, auth: { kind: 'static-token', token }, logger: silentLogger() });
}

function dwa(url: string): DynamicsWebApi {
  return new DynamicsWebApi({
    serverUrl: url,
    dataApi: { version: '9.2' },
    onTokenRefresh: () => Promise.resolve(token),
  });
}

async function contactIds(url: string): Promise<string[]> {
  const client = connector(url);
  const ids: string[] = [];
  for await (const page of client.readAll('contact', [], { pageSize: 1000 })) {
    ids.push(...page.records.map((record) => record.id));
    if (ids.length >= writes) break;
  }
  await client.close();
  return ids;
}

async function readOwn(url: string): Promise<number> {
  const client = connector(url);
  await client.getEntity('contact');
  await client.listAttributes('contact');
  const started = performance.now();
  let rows = 0;
  let count = 0;
  for await (const page of client.readAll('contact', ['firstname', 'lastname', 'emailaddress1'], {
    pageSize,
  })) {
    rows += page.records.length;
    if (++count >= pages) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  return rows / seconds;
}

async function readDwa(url: string): Promise<number> {
  const api = dwa(url);
  const started = performance.now();
  let rows = 0;
  let link: string | undefined;
  for (let count = 0; count < pages; count += 1) {
    const response = await api.retrieveMultiple(
      { collection: 'contacts', select: ['firstname', 'lastname', 'emailaddress1'], maxPageSize: pageSize },
      link,
    );
    rows += response.value.length;
    link = response.oDataNextLink;
    if (!link) break;
  }
  return rows / ((performance.now() - started) / 1000);
}

async function writeOwn(url: string, ids: string[]): Promise<number> {
  const client = connector(url);
  await client.getEntity('contact');
  await client.listAttributes('contact');
  const operations = ids.map((id, i) => ({
    kind: 'update' as const,
    entity: 'contact',
    id,
    values: { firstname: `own-${i}` },
  }));
  const started = performance.now();
  const outcomes = await client.write(operations, { batchSize });
  const seconds = (performance.now() - started) / 1000;
  const failed = outcomes.filter((outcome) => outcome.status !== 'ok').length;
  if (failed > 0) console.log(`  (own: ${failed} writes not ok)`);
  await client.close();
  return operations.length / seconds;
}

async function writeDwa(url: string, ids: string[]): Promise<number> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += batchSize) chunks.push(ids.slice(i, i + batchSize));
  const started = performance.now();
  let next = 0;
  // One client per lane: dynamics-web-api keeps one batch open per instance.
  await Promise.all(
    Array.from({ length: parallelBatches }, async () => {
      const api = dwa(url);
      while (next < chunks.length) {
        const chunk = chunks[next++];
        api.startBatch();
        for (const [i, id] of chunk.entries()) {
          void api.update({
            collection: 'contacts',
            key: id,
            data: { firstname: `dwa-${i}` },
            returnRepresentation: true,
            select: ['contactid'],
          });
        }
        await api.executeBatch({ continueOnError: true, inChangeSet: false });
      }
    }),
  );
  return ids.length / ((performance.now() - started) / 1000);
}

/** Precomputed answers, so that the server's cost is the same small constant for both clients. */
async function cannedServer(): Promise<{ url: string; close(): Promise<void> }> {
  let base = '';
  const rows = Array.from({ length: pageSize }, (_, i) => ({
    '@odata.etag': `W/"${1000 + i}"`,
    firstname: `First${i}`,
    lastname: `Last${i}`,
    emailaddress1: `person${i}@example.com`,
    contactid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  }));
  const page = (n: number) =>
    JSON.stringify({
      '@odata.context': `${base}/api/data/v9.2/$metadata#contacts(firstname,lastname,emailaddress1)`,
      value: rows,
      ...(n < pages
        ? { '@odata.nextLink': `${base}/api/data/v9.2/contacts?$select=firstname&$skiptoken=${n + 1}` }
        : {}),
    });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = decodeURIComponent(req.url ?? '');
      const meta = metadataAnswer({
        method: req.method ?? 'GET',
        url,
        headers: req.headers,
        body: '',
        at: 0,
      });
      if (meta) {
        res.writeHead(meta.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(meta.body));
      } else if (url.endsWith('$batch')) {
        const count = (
          Buffer.concat(chunks)
            .toString('utf8')
            .match(/ HTTP\/1\.1\r?\n/g) ?? []
        ).length;
        const part = [
          '--batchresponse_b',
          'Content-Type: application/http',
          'Content-Transfer-Encoding: binary',
          '',
          'HTTP/1.1 200 OK',
          'Content-Type: application/json; odata.metadata=minimal',
          'OData-Version: 4.0',
          '',
          '{"@odata.etag":"W/\\"5\\"","contactid":"00000000-0000-4000-8000-000000000001"}',
        ].join('\r\n');
        res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=batchresponse_b' });
        res.end(`${Array(count).fill(part).join('\r\n')}\r\n--batchresponse_b--\r\n`);
      } else {
        const n = Number(/\$skiptoken=(\d+)/.exec(url)?.[1] ?? '1');
        res.writeHead(200, {
          'content-type': 'application/json; odata.metadata=minimal',
          'odata-version': '4.0',
        });
        res.end(page(n));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

await main();
