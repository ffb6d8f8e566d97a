/**
 * One reader of `npm run bench:connector`, in a process of its own: peak RSS (`maxRSS`) only ever grows, so
 * two readers measured in one process would share a peak. Reads every contact once, discards the rows, and
 * prints one JSON line (`ReaderResult`).
 *
 *   node bench/connector/reader-process.ts <reader> <emulator url> <json ReaderArgs>
 *
 * Readers:
 * - `dwa-retrieveAll`: a bare `dynamics-web-api` `retrieveAll`, as S2 of `npm run bench` (it keeps every row
 *   until the end: that is how the library answers);
 * - `dwa-pages`: `dynamics-web-api` `retrieveMultiple` page by page via `@odata.nextLink`, each page dropped
 *   (the bare client's streaming memory floor);
 * - `connector`: `DataverseConnector.readChanges(contact, <the engine's select>, undefined)`, the tracked
 *   initial load the engine runs, pages consumed and dropped.
 */
import { DynamicsWebApi } from 'dynamics-web-api';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { silentLogger } from '../../src/logging/logger.ts';

export const readerKinds = ['dwa-retrieveAll', 'dwa-pages', 'connector'] as const;
export type ReaderKind = (typeof readerKinds)[number];

export interface ReaderArgs {
  /** The engine's logical select for contacts (the connector's input). */
  readonly select: readonly string[];
  /** The same columns on the wire (`_x_value` for lookups): what the bare client asks for. */
  readonly wireColumns: readonly string[];
  readonly pageSize: number;
}

export interface ReaderResult {
  readonly reader: ReaderKind;
  readonly rows: number;
  readonly pages: number;
  readonly wallMs: number;
  /** User + system CPU of this process during the read. */
  readonly cpuMs: number;
  /** `process.memoryUsage()` right before the read starts. */
  readonly startRssMiB: number;
  readonly startHeapMiB: number;
  /** `maxRSS` at the end (the process's peak). */
  readonly peakRssMiB: number;
  /** Highest `heapUsed` seen, sampled at every page and every 20 ms. */
  readonly peakHeapMiB: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function read(
  reader: ReaderKind,
  url: string,
  args: ReaderArgs,
  onPage: (rows: number) => void,
): Promise<void> {
  if (reader === 'connector') {
    const connector = new DataverseConnector({
      url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
      pageSize: args.pageSize,
    });
    // Measured with its two metadata requests: the engine's first pass pays for them too.
    try {
      for await (const page of connector.readChanges('contact', args.select, undefined)) {
        onPage(page.upserts.length + page.deletes.length);
      }
    } finally {
      await connector.close();
    }
    return;
  }
  const api = new DynamicsWebApi({
    serverUrl: url,
    dataApi: { version: '9.2' },
    onTokenRefresh: () => Promise.resolve(emulatorFixtures.defaultSyncToken),
  });
  const request = {
    collection: 'contacts',
    select: [...args.wireColumns],
    maxPageSize: args.pageSize,
    trackChanges: true,
  };
  if (reader === 'dwa-retrieveAll') {
    const response = await api.retrieveAll(request);
    onPage(response.value.length);
    return;
  }
  let next: string | undefined;
  do {
    const response = await api.retrieveMultiple(request, next);
    onPage(response.value.length);
    next = response.oDataNextLink;
  } while (next !== undefined);
}

async function main(): Promise<void> {
  const [reader, url, json] = process.argv.slice(2);
  if (!readerKinds.includes(reader as ReaderKind) || url === undefined || json === undefined)
    throw new Error(`usage: reader-process.ts <${readerKinds.join('|')}> <url> <json args>`);
  const args = JSON.parse(json) as ReaderArgs;
  const start = process.memoryUsage();
  let peakHeap = start.heapUsed;
  const sample = () => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 20);
  let rows = 0;
  let pages = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await read(reader as ReaderKind, url, args, (count) => {
    rows += count;
    pages += 1;
    sample();
  });
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  const result: ReaderResult = {
    reader: reader as ReaderKind,
    rows,
    pages,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    startRssMiB: mib(start.rss),
    startHeapMiB: mib(start.heapUsed),
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    peakHeapMiB: mib(peakHeap),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.main) await main();
