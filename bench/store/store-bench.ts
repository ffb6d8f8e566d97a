/**
 * `npm run bench:store [-- --scale 0.1] [-- --backend sqlite|postgres (prints only)] [-- --no-docs]`
 *
 * Inserts 1,000,000 persons (× scale) through `createPersons` (multi-row inserts, one transaction per batch of
 * 1,000; four concurrent writers where the backend has `concurrentWriters`), then reads them all back the way
 * the engine does: follow the change feed (`readPersonChanges`, pages of 10,000) and load each page's persons
 * (`getPersons`, 1,000 ids per call). Each backend runs in its own child process so its peak RSS is its own.
 * Prints rows/s and peak RSS and writes them, with the machine's description, into docs/benchmarks.md (store
 * section). PostgreSQL comes from TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a
 * schema of its own that is dropped afterwards.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import * as prettier from 'prettier';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { testDatabaseUrl } from '../../tests/helpers/test-env.ts';
import { createTestDatabase, storeKinds, type StoreKind } from '../../tests/helpers/test-store.ts';
import { samplePersons, writeLoadPage } from './sample-load.ts';

const fullSize = 1_000_000;
const loadAtStart = loadavg()[0];
const insertBatch = 1_000;
const feedPage = 10_000;
const loadBatch = 1_000;

interface BackendResult {
  readonly kind: StoreKind;
  readonly version: string;
  readonly rows: number;
  readonly insertSeconds: number;
  /** CPU time of this process (user + system) per inserted person, µs: less sensitive to load than rows/s. */
  readonly insertCpuMicros: number;
  /** The initial-load write pattern (`pageRecords` per transaction): persons, links, bases, activities. */
  readonly pageSeconds: number;
  readonly pageCpuMicros: number;
  readonly readSeconds: number;
  /** Persons read back: the inserted ones and the load pages' ones. */
  readonly readRows: number;
  readonly writers: number;
  readonly peakRssMiB: number;
}

async function runBackend(kind: StoreKind, count: number): Promise<BackendResult> {
  const database = await createTestDatabase(kind);
  const store = await createStore(database.config, silentLogger());
  try {
    await store.migrate();
    const writers = store.capabilities.concurrentWriters ? 4 : 1;
    const insertCpu = process.cpuUsage();
    const insertStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < count) {
          const start = next;
          next += insertBatch;
          await store.createPersons(samplePersons(start, Math.min(insertBatch, count - start)), 'api');
        }
      }),
    );
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    const insertCpuMicros = cpuMicros(insertCpu) / count;

    // The initial load's pattern (engine/apply/person-page-applier.ts createPersons): per page, in one
    // transaction, the new persons, their links, their bases and a created-person activity each.
    const pageCount = Math.ceil(count / 10);
    const pageCpu = process.cpuUsage();
    const pageStarted = performance.now();
    for (let start = 0; start < pageCount; start += pageRecords) {
      await writeLoadPage(store, count + start, Math.min(pageRecords, pageCount - start));
    }
    const pageSeconds = (performance.now() - pageStarted) / 1000;
    const pageCpuMicros = cpuMicros(pageCpu) / pageCount;

    const readStarted = performance.now();
    const read = await readBack(store, count + pageCount);
    const readSeconds = (performance.now() - readStarted) / 1000;
    if (read !== count + pageCount) throw new Error(`read back ${read} persons, expected ${count}`);
    return {
      kind,
      version: await backendVersion(kind),
      rows: count,
      insertSeconds,
      insertCpuMicros,
      pageSeconds,
      pageCpuMicros,
      readSeconds,
      readRows: read,
      writers,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await store.close();
    await database.dispose();
  }
}

/** Follows the change feed from the start and loads every changed person; returns how many were loaded. */
async function readBack(store: Store, expected: number): Promise<number> {
  let after: string | undefined;
  let loaded = 0;
  while (loaded < expected) {
    const page = await store.readPersonChanges(after, feedPage);
    if (page.items.length === 0) {
      // PostgreSQL withholds rows while an older writer elsewhere in this schema is still running.
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    after = page.nextCursor ?? undefined;
    const ids = page.items.map((change) => change.personId);
    for (let start = 0; start < ids.length; start += loadBatch) {
      loaded += (await store.getPersons(ids.slice(start, start + loadBatch))).length;
    }
  }
  return loaded;
}

const pageRecords = 1_000;

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

async function backendVersion(kind: StoreKind): Promise<string> {
  if (kind === 'sqlite') {
    const db = new DatabaseSync(':memory:');
    const row = db.prepare('select sqlite_version() as version').get() as { version: string };
    db.close();
    return `SQLite ${row.version} (node:sqlite)`;
  }
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    const { rows: result } = await client.query<{ server_version: string }>('show server_version');
    return `PostgreSQL ${result[0].server_version.split(' ')[0]}`;
  } finally {
    await client.end();
  }
}

const perSecond = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en');

function describeResult(result: BackendResult): string {
  return (
    `${result.kind}: insert ${perSecond(result.rows, result.insertSeconds)} rows/s ` +
    `(${result.insertSeconds.toFixed(1)} s, ${result.writers} writer(s), ${result.insertCpuMicros.toFixed(1)} µs CPU/row), ` +
    `load pages ${perSecond(result.rows / 10, result.pageSeconds)} contacts/s (${result.pageCpuMicros.toFixed(1)} µs CPU/contact), read back ` +
    `${perSecond(result.readRows, result.readSeconds)} rows/s (${result.readSeconds.toFixed(1)} s), ` +
    `peak RSS ${result.peakRssMiB} MiB`
  );
}

const sectionStart = '<!-- store-bench:start -->';
const sectionEnd = '<!-- store-bench:end -->';

async function writeDocs(results: readonly BackendResult[]): Promise<void> {
  const path = join(import.meta.dirname, '..', '..', 'docs', 'benchmarks.md');
  const machine =
    `${availableParallelism()} CPUs (nproc), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
    `${cpus()[0]?.model.trim() ?? 'unknown CPU'}; Linux ${release()}; Node.js ${process.version}; ` +
    `load average ${loadAtStart.toFixed(1)} when the run started (other work on the machine skews the figures)`;
  const table = [
    '| backend | persons | insert rows/s | read-back rows/s | peak RSS |',
    '| --- | --: | --: | --: | --: |',
    ...results.map(
      (result) =>
        `| ${result.version} | ${result.rows.toLocaleString('en')} | ` +
        `${perSecond(result.rows, result.insertSeconds)} (${result.writers} writer${result.writers > 1 ? 's' : ''}) | ` +
        `${perSecond(result.readRows, result.readSeconds)} | ${result.peakRssMiB} MiB |`,
    ),
  ];
  const section = [
    sectionStart,
    '## Store (`npm run bench:store`)',
    '',
    'Inserts persons through `createPersons` (multi-row inserts, one transaction per 1,000) and reads them all back',
    'through the change feed (`readPersonChanges`, pages of 10,000) plus `getPersons` (1,000 ids per call) — the',
    'path the engine takes. Each backend runs in its own process (peak RSS is per backend). SQLite: WAL,',
    '`synchronous = FULL`. PostgreSQL: local server, default settings.',
    '',
    `Machine: ${machine}. Measured ${new Date().toISOString().slice(0, 10)}.`,
    '',
    ...table,
    sectionEnd,
  ].join('\n');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const start = text.indexOf(sectionStart);
  const end = text.indexOf(sectionEnd);
  text =
    start >= 0 && end > start
      ? text.slice(0, start) + section + text.slice(end + sectionEnd.length)
      : `${text.trimEnd()}\n\n${section}\n`;
  // The docs are checked by prettier in `npm test`: write them formatted.
  await writeFile(
    path,
    await prettier.format(text, { ...(await prettier.resolveConfig(path)), filepath: path }),
  );
  process.stderr.write(`store bench: wrote ${path}\n`);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      backend: { type: 'string' },
      worker: { type: 'string' },
      'no-docs': { type: 'boolean', default: false },
    },
  });
  const scale = Number(args.scale);
  if (!(scale > 0 && scale <= 10)) throw new Error('--scale must be a number in (0, 10]');
  const rows = Math.round(fullSize * scale);

  if (args.worker !== undefined) {
    process.stdout.write(`${JSON.stringify(await runBackend(args.worker as StoreKind, rows))}\n`);
  } else {
    const kinds = args.backend === undefined ? storeKinds : [args.backend as StoreKind];
    const results: BackendResult[] = [];
    for (const kind of kinds) {
      process.stderr.write(`store bench: ${kind}, ${rows.toLocaleString('en')} persons…\n`);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [import.meta.filename, '--worker', kind, '--scale', String(scale)],
        { maxBuffer: 1 << 20 },
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as BackendResult;
      results.push(result);
      process.stdout.write(`${describeResult(result)}\n`);
    }
    // A partial run (--backend) must not replace the full table.
    if (!args['no-docs'] && args.backend === undefined) await writeDocs(results);
  }
}

await main();
