/**
 * `npx node bench/store/store-ab-bench.ts --base ../wt-main [--head .] [--backend sqlite|postgres] [--pages 30]
 * [--mode page|persons]`
 *
 * Compares the CPU the store of two checkouts spends per record on the initial load's write pattern, in one
 * process, alternating pages between them (A B, B A, …), so both see the same machine load — on a shared
 * machine rows/s of two separate runs differ more than the change being measured. `page` (default): per page
 * of 1,000 new contacts, in one transaction, `createPersonIds`, `upsertLinks`, `setBasesOf` (20 bases each) and
 * `appendActivities`, as engine/apply/person-page-applier.ts does. `persons`: `createPersons` only. Prints the
 * median, mean and minimum of this process's CPU time (user + system) per record after three warm-up pages.
 * On PostgreSQL the server's CPU is not counted. Each checkout gets a fresh database of its own.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../../src/logging/logger.ts';
import { createTestDatabase, type StoreKind } from '../../tests/helpers/test-store.ts';
import type { Store } from '../../src/store/store.ts';
import { samplePersons, writeLoadPage } from './sample-load.ts';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    head: { type: 'string', default: '.' },
    backend: { type: 'string', default: 'sqlite' },
    pages: { type: 'string', default: '30' },
    mode: { type: 'string', default: 'page' },
  },
});
if (args.base === undefined) throw new Error('--base <checkout> is required');
const kind = args.backend as StoreKind;
const perPage = 1000;
const warmUp = 3;

interface Side {
  readonly name: string;
  readonly store: Store;
  readonly dispose: () => Promise<void>;
  readonly cpuMicros: number[];
}

async function open(root: string, name: string): Promise<Side> {
  const registry = (await import(resolve(root, 'src/store/registry.ts'))) as {
    createStore: (config: unknown, logger: unknown) => Promise<Store>;
  };
  const database = await createTestDatabase(kind);
  const store = await registry.createStore(database.config, silentLogger());
  await store.migrate();
  const dispose = async () => {
    await store.close();
    await database.dispose();
  };
  return { name: `${name} (${root})`, store, dispose, cpuMicros: [] };
}

async function writePage(store: Store, start: number): Promise<void> {
  if (args.mode === 'persons') await store.createPersons(samplePersons(start, perPage), 'api');
  else await writeLoadPage(store, start, perPage);
}

const sides = [await open(args.base, 'base'), await open(args.head, 'head')];
try {
  for (let page = 0; page < Number(args.pages); page++) {
    for (const side of page % 2 === 0 ? sides : [...sides].reverse()) {
      const cpu = process.cpuUsage();
      await writePage(side.store, page * perPage);
      const used = process.cpuUsage(cpu);
      side.cpuMicros.push((used.user + used.system) / perPage);
    }
  }
  for (const side of sides) {
    const warm = side.cpuMicros.slice(warmUp).sort((a, b) => a - b);
    const mean = warm.reduce((sum, value) => sum + value, 0) / warm.length;
    process.stdout.write(
      `${kind} ${args.mode} ${side.name}: median ${warm[Math.floor(warm.length / 2)].toFixed(1)} µs CPU/record, ` +
        `mean ${mean.toFixed(1)}, min ${warm[0].toFixed(1)} (${warm.length} pages after ${warmUp} warm-up)\n`,
    );
  }
} finally {
  for (const side of sides) await side.dispose();
}
