/**
 * `npm run bench [-- --scale 0.1] [-- --only S1,S5] [-- --backend sqlite|postgres] [-- --budget 120]
 *  [-- --naive-budget 30] [-- --s7-interval 10] [-- --no-docs] [-- --cpu-prof] [-- --engine-flags='--max-semi-space-size=8']`
 *
 * Issue 7's throughput scenarios S1–S6 (and issue 15's S9: several application users) against the Dataverse
 * emulator in its own process, with the engine in another (`engine-worker.ts`), issue 14's latency scenario S7
 * against `syncline start` in its own process (`latency-scenario.ts`), and issue 15's failover scenario S8 on a
 * cluster of three `syncline start` processes (PostgreSQL only, `failover-scenario.ts`), on SQLite and on PostgreSQL
 * (TEST_DATABASE_URL, a schema of its own, dropped
 * after). Writes `bench-results.json` (one object per scenario metric and backend) and prints a markdown table;
 * a full run (no `--only`, no `--backend`) also writes it into docs/benchmarks.md between the sync-bench markers.
 * `--budget` caps each pass under the cost model (S3, S4) in seconds: it is stopped at a page boundary and its
 * rate is measured over what it did. `--cpu-prof` writes CPU profiles of the engine processes to ./bench-profiles.
 * `--engine-flags` gives the engine processes of S1–S6 and S9 more node flags, after the engine's heap flags
 * (`engine-heap.ts`; V8 takes the last of a flag), to compare settings side by side; such a run writes no docs.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startEmulatorProcess } from '../../tests/engine/sync-world.ts';
import { createTestDatabase, storeKinds } from '../../tests/helpers/test-store.ts';
import {
  runInitialLoadUnderModel,
  runLoadedWorld,
  type BenchPlan,
  difference,
  type PlainRead,
} from './backend-scenarios.ts';
import { runApplicationUsers, secondSyncToken } from './application-users.ts';
import { scenarioIds, type Backend, type BenchResult, type ScenarioId } from './bench-result.ts';
import { writeDocsSection } from '../docs-section.ts';
import { currentLoad, describeMachine, markdownTable } from './bench-report.ts';
import { costModel } from './cost-model.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { CrmControl } from './crm-control.ts';
import { EngineProcess } from './engine-process.ts';
import { runLatencyScenario, s7Contacts, s7Rate } from './latency-scenario.ts';
import { runFailoverScenario } from './failover-scenario.ts';

const root = join(import.meta.dirname, '..', '..');
const loadAtStart = currentLoad();

function parsePlan(): { plan: BenchPlan; backends: Backend[]; docs: boolean; s7IntervalSeconds: number } {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      only: { type: 'string' },
      backend: { type: 'string' },
      budget: { type: 'string', default: '120' },
      'naive-budget': { type: 'string', default: '30' },
      's7-interval': { type: 'string', default: '10' },
      'no-docs': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'engine-flags': { type: 'string', default: '' },
    },
  });
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be a number in (0, 1]');
  const only = (values.only ?? scenarioIds.join(',')).split(',').map((id) => id.trim().toUpperCase());
  const unknown = only.filter((id) => !(scenarioIds as readonly string[]).includes(id));
  if (unknown.length > 0) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (S1–S9)`);
  const backends = values.backend === undefined ? [...storeKinds] : [values.backend as Backend];
  if (!backends.every((backend) => storeKinds.includes(backend)))
    throw new Error('--backend must be sqlite or postgres');
  const budget = Number(values.budget);
  const naiveBudget = Number(values['naive-budget']);
  if (!(budget > 0) || !(naiveBudget > 0)) throw new Error('--budget and --naive-budget are seconds (> 0)');
  const s7IntervalSeconds = Number(values['s7-interval']);
  if (!(s7IntervalSeconds > 0)) throw new Error('--s7-interval is seconds (> 0)');
  return {
    plan: {
      scale,
      contacts: Math.round(1_000_000 * scale),
      only: new Set(only as ScenarioId[]),
      budgetMs: budget * 1000,
      naiveBudgetMs: naiveBudget * 1000,
      engineNodeOptions: [
        ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'bench-profiles')}`] : []),
        ...values['engine-flags'].split(/\s+/).filter((flag) => flag !== ''),
      ],
      log: (line) => process.stderr.write(`bench: ${line}\n`),
    },
    backends,
    // A partial run, or one with other engine flags than the product's, must not replace the full table.
    docs:
      !values['no-docs'] &&
      values.only === undefined &&
      values.backend === undefined &&
      values['engine-flags'] === '',
    s7IntervalSeconds,
  };
}

/** S2: the columns the engine reads, then a bare `dynamics-web-api` `retrieveAll` of every contact. */
async function plainClientRead(plan: BenchPlan, crm: CrmControl): Promise<PlainRead> {
  const database = await createTestDatabase('sqlite');
  let columns: string[];
  try {
    const engine = await EngineProcess.open(database.config, crm.url);
    columns = (await engine.describe()).contactColumns;
    await engine.close();
  } finally {
    await database.dispose();
  }
  plan.log(`S2: dynamics-web-api retrieveAll of ${plan.contacts.toLocaleString('en')} contacts…`);
  const emulatorCpuBefore = await crm.cpuMs();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(import.meta.dirname, 'plain-client-read.ts'), crm.url, columns.join(',')],
    { maxBuffer: 1 << 20 },
  );
  const emulatorCpuAfter = await crm.cpuMs();
  const read = {
    ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as Omit<PlainRead, 'emulatorCpuMs'>),
    emulatorCpuMs: difference(emulatorCpuBefore, emulatorCpuAfter),
  };
  if (read.rows !== plan.contacts)
    throw new Error(`S2 read ${read.rows} contacts, expected ${plan.contacts}`);
  plan.log(`S2: ${read.rows} rows in ${(read.wallMs / 1000).toFixed(1)} s`);
  return read;
}

function docsBody(
  plan: BenchPlan,
  s7IntervalSeconds: number,
  results: readonly BenchResult[],
  command: string,
): string {
  const { limits, faults } = costModel;
  const s7 = plan.only.has('S7')
    ? ` S7: ${s7Contacts(plan.scale).toLocaleString('en')} contacts, ${s7Rate} edits/s on each side for ` +
      `${Math.round(60 * plan.scale)} s, pass interval ${s7IntervalSeconds} s.`
    : '';
  const s1to6 = [...plan.only].some((id) => id !== 'S7' && id !== 'S8')
    ? `${plan.contacts.toLocaleString('en')} contacts (scale ${plan.scale}; the targets are issue 7's for scale 1)`
    : `scale ${plan.scale}`;
  return [
    '### Latest run',
    '',
    `Command: \`${command}\` — ${s1to6}, measured ${new Date().toISOString().slice(0, 10)}.${s7}`,
    '',
    `Machine: ${describeMachine(loadAtStart)}.`,
    '',
    `Cost model (S3, S4, S7): \`${JSON.stringify(limits)}\`, response latency ${faults.latencyMs} ms.`,
    '',
    markdownTable(results),
  ].join('\n');
}

async function main(): Promise<void> {
  const { plan, backends, docs, s7IntervalSeconds } = parsePlan();
  // S7 alone needs a small world (it resets the emulator to its own size anyway); S8 brings its own emulator.
  const seeded = [...plan.only].some((id) => id !== 'S7' && id !== 'S8')
    ? plan.contacts
    : s7Contacts(plan.scale);
  plan.log(`starting the emulator with ${seeded.toLocaleString('en')} contacts…`);
  // UpdateMultiple's ETags honoured, so the engine's write-path probe proves the bulk path and S4 measures
  // UpdateMultiple as before B4.5's probe existed; the $batch path (the default elsewhere) is measured apart.
  const emulator = await startEmulatorProcess([
    '--seed',
    'demo',
    '--contacts',
    String(seeded),
    '--bulk-etags',
    'honoured',
    // S9: a second application user, a systemuser with its own limits (the engine uses it only there).
    ...(plan.only.has('S9') ? ['--token', `${emulatorFixtures.defaultSyncToken},${secondSyncToken}`] : []),
  ]);
  const results: BenchResult[] = [];
  try {
    const crm = new CrmControl(emulator.url, emulator.child.pid);
    const plainRead = plan.only.has('S2') ? await plainClientRead(plan, crm) : undefined;
    const world: ScenarioId[] = ['S1', 'S2', 'S4', 'S5', 'S6'];
    for (const backend of backends) {
      if (world.some((id) => plan.only.has(id)))
        results.push(...(await runLoadedWorld(plan, backend, crm, plainRead)));
      if (plan.only.has('S3')) results.push(...(await runInitialLoadUnderModel(plan, backend, crm)));
      if (plan.only.has('S7'))
        results.push(...(await runLatencyScenario(plan, backend, crm, s7IntervalSeconds)));
      if (plan.only.has('S9')) results.push(...(await runApplicationUsers(plan, backend, crm)));
      // B2.9: a cluster needs PostgreSQL (on SQLite one engine holds the file).
      if (plan.only.has('S8') && backend === 'postgres') results.push(...(await runFailoverScenario(plan)));
    }
  } finally {
    await emulator.stop();
  }
  results.sort((a, b) => a.id.localeCompare(b.id));
  await writeFile(join(root, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const args = process.argv.slice(2);
  const body = docsBody(
    plan,
    s7IntervalSeconds,
    results,
    `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
  );
  process.stdout.write(`${body}\n`);
  if (docs) await writeDocsSection(join(root, 'docs', 'benchmarks.md'), 'sync-bench', body);
}

await main();
