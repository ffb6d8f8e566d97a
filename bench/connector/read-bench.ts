/**
 * `npm run bench:connector [-- --contacts 100000] [-- --rounds 2] [-- --readers connector,dwa-retrieveAll]
 *  [-- --cpu-prof] [-- --engine-heap] [-- --node-flags=--max-semi-space-size=8]`
 *
 * The connector's read path against a bare client, side by side in one run: the Dataverse emulator in its own
 * process (`syncline emulator --seed demo --contacts N`), then each reader in a fresh process of its own
 * (`reader-process.ts`; peak RSS is per process), reading all N contacts with the columns the engine selects,
 * 5,000-row pages and change tracking, rows discarded. Rounds alternate the readers so that a change in the
 * machine's load hits each of them alike; the best round of each reader is reported (the least disturbed).
 * `--cpu-prof` writes V8 CPU profiles of the connector's reader to ./bench-profiles. `--node-flags` (space
 * separated) are given to every reader process, e.g. V8 heap sizes, to see what they do to peak RSS;
 * `--engine-heap` gives the connector's reader the heap limits the engine process runs with (`engineHeapFlags`).
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { wireColumns } from '../../src/connectors/dataverse/record-mapper.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { buildPlans, defaultEngineSettings } from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { startEmulatorProcess } from '../../tests/engine/sync-world.ts';
import { engineHeapFlags } from '../../src/runtime/engine-heap.ts';
import { openTestStore } from '../../tests/helpers/test-store.ts';
import { readerKinds, type ReaderArgs, type ReaderKind, type ReaderResult } from './reader-process.ts';

const root = join(import.meta.dirname, '..', '..');
const log = (line: string) => process.stderr.write(`bench:connector: ${line}\n`);

function parsePlan() {
  const { values } = parseArgs({
    options: {
      contacts: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '2' },
      readers: { type: 'string', default: readerKinds.join(',') },
      'page-size': { type: 'string', default: '5000' },
      'cpu-prof': { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      'engine-heap': { type: 'boolean', default: false },
    },
  });
  const contacts = Number(values.contacts);
  const rounds = Number(values.rounds);
  const pageSize = Number(values['page-size']);
  if (!(Number.isInteger(contacts) && contacts > 0)) throw new Error('--contacts must be a positive integer');
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error('--rounds must be a positive integer');
  if (!(pageSize >= 1 && pageSize <= 5000)) throw new Error('--page-size must be in 1..5000');
  const readers = values.readers.split(',').map((name) => name.trim()) as ReaderKind[];
  const unknown = readers.filter((name) => !readerKinds.includes(name));
  if (unknown.length > 0)
    throw new Error(`--readers: unknown ${unknown.join(', ')} (${readerKinds.join(', ')})`);
  const nodeFlags = values['node-flags'].split(' ').filter((flag) => flag !== '');
  return {
    contacts,
    rounds,
    pageSize,
    readers,
    cpuProf: values['cpu-prof'],
    nodeFlags,
    engineHeap: values['engine-heap'],
  };
}

/** The engine's select for contacts, as `buildPlans` makes it on a fresh store with the default settings. */
async function engineSelect(url: string): Promise<{ select: string[]; wire: string[] }> {
  const store = await openTestStore('sqlite');
  const connector = new DataverseConnector({
    url,
    auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
    logger: silentLogger(),
  });
  try {
    const deps = { store: store.store, crm: connector, logger: silentLogger(), now: () => new Date() };
    const select = (await buildPlans(deps, defaultEngineSettings)).get('contact')?.select;
    if (select === undefined) throw new Error('the engine does not sync contacts');
    const shape = {
      entity: await connector.getEntity('contact'),
      attributes: new Map((await connector.listAttributes('contact')).map((a) => [a.logicalName, a])),
    };
    return { select: [...select], wire: wireColumns(shape, select) };
  } finally {
    await connector.close();
    await store.dispose();
  }
}

async function runReader(
  reader: ReaderKind,
  url: string,
  args: ReaderArgs,
  cpuProf: boolean,
  nodeFlags: readonly string[],
): Promise<ReaderResult> {
  const profile =
    cpuProf && reader === 'connector'
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${join(root, 'bench-profiles')}`,
          '--cpu-prof-name=connector-read.cpuprofile',
        ]
      : [];
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...nodeFlags,
      ...profile,
      join(import.meta.dirname, 'reader-process.ts'),
      reader,
      url,
      JSON.stringify(args),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ReaderResult;
}

const number = (value: number, digits = 0) =>
  value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(best: readonly ReaderResult[]): string {
  const baseline = best.find((result) => result.reader === 'dwa-retrieveAll') ?? best[0];
  const rows = best.map((result) => {
    const rate = (result.rows / result.wallMs) * 1000;
    const cpuPerK = (result.cpuMs / result.rows) * 1000;
    const baseCpuPerK = (baseline.cpuMs / baseline.rows) * 1000;
    return [
      result.reader,
      number(result.rows),
      number(rate),
      number(cpuPerK, 1),
      `${number(cpuPerK / baseCpuPerK, 2)}×`,
      `${number(result.wallMs / baseline.wallMs, 2)}×`,
      `${number(result.startRssMiB)} → ${number(result.peakRssMiB)}`,
      `${number(result.startHeapMiB)} → ${number(result.peakHeapMiB)}`,
    ];
  });
  const header = [
    'reader',
    'rows',
    'rows/s',
    'CPU ms / 1,000 rows',
    `CPU vs ${baseline.reader}`,
    `time vs ${baseline.reader}`,
    'RSS MiB start → peak',
    'heap MiB start → peak',
  ];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (i === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const plan = parsePlan();
  const [load1] = loadavg();
  log(`starting the emulator with ${number(plan.contacts)} contacts (load average ${load1.toFixed(1)})…`);
  const emulator = await startEmulatorProcess(['--seed', 'demo', '--contacts', String(plan.contacts)]);
  const results: ReaderResult[] = [];
  try {
    const { select, wire } = await engineSelect(emulator.url);
    log(`contact columns on the wire: ${wire.join(',')}`);
    const args: ReaderArgs = { select, wireColumns: wire, pageSize: plan.pageSize };
    for (let round = 0; round < plan.rounds; round++) {
      const order = round % 2 === 0 ? plan.readers : [...plan.readers].reverse();
      for (const reader of order) {
        const flags =
          plan.engineHeap && reader === 'connector'
            ? [...engineHeapFlags, ...plan.nodeFlags]
            : plan.nodeFlags;
        const result = await runReader(reader, emulator.url, args, plan.cpuProf, flags);
        if (result.rows !== plan.contacts)
          throw new Error(`${reader} read ${result.rows} contacts, expected ${plan.contacts}`);
        log(
          `round ${round + 1} ${reader}: ${(result.wallMs / 1000).toFixed(2)} s, ${number(result.cpuMs)} ms CPU, ` +
            `peak RSS ${number(result.peakRssMiB)} MiB`,
        );
        results.push(result);
      }
    }
  } finally {
    await emulator.stop();
  }
  const best = plan.readers.map(
    (reader) => results.filter((result) => result.reader === reader).sort((a, b) => a.wallMs - b.wallMs)[0],
  );
  process.stdout.write(
    `${number(plan.contacts)} contacts, ${plan.pageSize}-row pages, best of ${plan.rounds} round(s); ` +
      `load average ${load1.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end; Node.js ${process.version}` +
      `${plan.nodeFlags.length > 0 ? `; reader flags ${plan.nodeFlags.join(' ')}` : ''}` +
      `${plan.engineHeap ? `; connector reader with the engine's ${engineHeapFlags.join(' ')}` : ''}\n\n` +
      `${table(best)}\n`,
  );
}

await main();
