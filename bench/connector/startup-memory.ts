/**
 * What the bench's engine process (`bench/sync/engine-worker.ts`) costs before it does any work: the same
 * modules imported in stages, then a migrated SQLite store, each followed by a full GC and
 * `process.memoryUsage()`. Run with `--expose-gc` so the numbers are live memory, not garbage:
 *
 *   node --expose-gc bench/connector/startup-memory.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1).padStart(6);
let previous = 0;

function show(stage: string): void {
  gc!();
  const memory = process.memoryUsage();
  const delta = previous === 0 ? '' : `(+${mib(memory.rss - previous).trim()})`;
  previous = memory.rss;
  process.stdout.write(
    `${stage.padEnd(52)} RSS ${mib(memory.rss)} ${delta.padEnd(8)} heap used ${mib(memory.heapUsed)} / total ` +
      `${mib(memory.heapTotal)}  external ${mib(memory.external)} MiB\n`,
  );
}

// This script is TypeScript itself, so the type stripper is already loaded here; a plain JavaScript process
// shows what it costs.
const plainRss = execFileSync(process.execPath, [
  '-e',
  'process.stdout.write(String(process.memoryUsage().rss))',
]);
process.stdout.write(`${'plain node, JavaScript only'.padEnd(52)} RSS ${mib(Number(plainRss))}\n`);
show('node running TypeScript (type stripping loaded)');
await import('../../src/logging/logger.ts');
show('+ logger (pino)');
await import('../../src/connectors/dataverse/dataverse-http.ts');
show('+ connector HTTP layer (undici)');
await import('../../src/connectors/dataverse/dataverse-connector.ts');
show('+ rest of the connector (MSAL, zod)');
const { createStore } = await import('../../src/store/registry.ts');
show('+ store registry (kysely, node:sqlite, pg)');
await import('../../src/engine/engine.ts');
show('+ engine');
await import('../sync/engine-worker.ts');
show('+ engine-worker itself');
const directory = await mkdtemp(join(tmpdir(), 'syncline-startup-'));
try {
  const { silentLogger } = await import('../../src/logging/logger.ts');
  const store = await createStore({ kind: 'sqlite', path: join(directory, 'store.db') }, silentLogger());
  await store.migrate();
  show('+ SQLite store opened and migrated');
  await store.close();
} finally {
  await rm(directory, { recursive: true, force: true });
}
process.stdout.write(`peak RSS so far (maxRSS): ${mib(process.resourceUsage().maxRSS * 1024).trim()} MiB\n`);
