import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, type RunningApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startEmulatorProcess, type EmulatorProcess } from '../engine/sync-world.ts';
import { runSyncline } from '../helpers/run-syncline.ts';
import { createTestDatabase } from '../helpers/test-store.ts';

/**
 * B2.9 (issue 13 item 3): two engines never run sync work on the same database. On SQLite a second `start` or a
 * `sync --once` beside a running engine refuses with ENGINE_ALREADY_RUNNING; on PostgreSQL a second replica
 * serves the API and takes the sync over when the first one stops. Before the hold, both ran passes.
 */

const root = join(import.meta.dirname, '..', '..');

describe('one engine per database (B2.9)', () => {
  let emulator: EmulatorProcess;
  let directory: string;
  before(async () => {
    emulator = await startEmulatorProcess([
      '--seed',
      'demo',
      '--contacts',
      '5',
      '--leads',
      '3',
      '--accounts',
      '2',
    ]);
    directory = await mkdtemp(join(tmpdir(), 'syncline-hold-'));
  });
  after(async () => {
    await emulator.stop();
    await rm(directory, { recursive: true, force: true });
  });

  const crm = () => ({ SYNCLINE_DYNAMICS_URL: emulator.url, SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token' });
  /** A replica's environment on a test PostgreSQL database, with the sync interval (seconds) the test needs. */
  const postgresEnv = (database: { config: unknown }, interval: string) => ({
    ...crm(),
    SYNCLINE_DB: (database.config as { url: string }).url,
    SYNCLINE_PORT: '0',
    SYNCLINE_SYNC_INTERVAL: interval,
    SYNCLINE_API_KEY: 'engine-hold-test-key-0123456789',
  });

  test('SQLite: a second start and a sync --once beside a running engine are refused', async () => {
    const database = `sqlite:${join(directory, 'one.db')}`;
    const first = await startApp(
      loadConfig({ ...crm(), SYNCLINE_DB: database, SYNCLINE_PORT: '0', SYNCLINE_SYNC_INTERVAL: '60' }),
      createLogger({ level: 'silent' }),
    );
    try {
      const second = await runSyncline(['start'], { ...crm(), SYNCLINE_DB: database, SYNCLINE_PORT: '0' });
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, /ENGINE_ALREADY_RUNNING/);
      const once = await runSyncline(['sync', '--once'], { ...crm(), SYNCLINE_DB: database });
      assert.equal(once.code, 1, once.output);
      assert.match(once.output, /ENGINE_ALREADY_RUNNING/);
    } finally {
      await first.stop();
    }
    // Once the first engine stopped, the database is free again.
    const after = await runSyncline(['sync', '--once'], { ...crm(), SYNCLINE_DB: database });
    assert.equal(after.code, 0, after.output);
  });

  test('SQLite: a start while the previous engine is still stopping waits for it instead of refusing', async () => {
    const database = join(directory, 'stopping.db');
    // Stands in for an engine that needs two more seconds to stop at a safe boundary.
    const registry = join(root, 'src', 'store', 'engine-lock-registry.ts');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createEngineLock } = await import(${JSON.stringify(registry)});
         const lock = await createEngineLock({ kind: 'sqlite', path: ${JSON.stringify(database)} }).tryAcquire();
         process.stdout.write(lock ? 'held\\n' : 'refused\\n');
         setTimeout(() => lock.release().then(() => process.exit(0)), 2000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [chunk] = (await once(holder.stdout!, 'data')) as [Buffer];
    assert.equal(chunk.toString().trim(), 'held');
    const result = await runSyncline(['sync', '--once'], { ...crm(), SYNCLINE_DB: `sqlite:${database}` });
    assert.equal(result.code, 0, result.output);
    assert.doesNotMatch(result.output, /ENGINE_ALREADY_RUNNING/);
  });

  test('PostgreSQL: a second replica serves the API and takes the sync over when the first stops', async () => {
    await using database = await createTestDatabase('postgres');
    const env = postgresEnv(database, '1');
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const apps: RunningApp[] = [];
    try {
      apps.push(await startApp(loadConfig(env), createLogger({ level: 'silent' })));
      apps.push(await startApp(loadConfig(env), createLogger({ level: 'info', destination: sink })));
      const [first, second] = apps as [RunningApp, RunningApp];
      const health = await fetch(`${second.url}/health`);
      assert.equal(health.status, 200, 'the standby replica serves the API');
      const deadlineWait = Date.now() + 5_000;
      while (
        !lines.some((line) => line.includes('another replica holds the sync lease')) &&
        Date.now() < deadlineWait
      )
        await sleep(100);
      assert.ok(lines.some((line) => line.includes('another replica holds the sync lease')));
      assert.ok(!lines.some((line) => line.includes('took the sync lease')), 'no second engine runs');
      await first.stop();
      const deadline = Date.now() + 15_000;
      while (!lines.some((line) => line.includes('took the sync lease')) && Date.now() < deadline) {
        await sleep(100);
      }
      assert.ok(
        lines.some((line) => line.includes('took the sync lease')),
        'the standby took the sync over (released by the stopping replica: not a takeover)',
      );
    } finally {
      for (const app of apps.reverse()) await app.stop();
    }
  });
  test('B2.9 PostgreSQL: sync --once beside a running replica says it waits for the sync lease, then refuses', async () => {
    await using database = await createTestDatabase('postgres');
    const env = postgresEnv(database, '300');
    const holder = await startApp(loadConfig(env), createLogger({ level: 'silent' }));
    try {
      const once = await runSyncline(['sync', '--once'], env);
      // Without the line an operator (or a supervisor watching the output) sees nothing for 12 s.
      assert.match(once.output, /another replica holds the sync lease; waiting up to 12 s/);
      assert.match(once.output, /ENGINE_ALREADY_RUNNING/);
      assert.notEqual(once.code, 0);
    } finally {
      await holder.stop();
    }
  });
  test('B8.1 B8.2 B2.9 PostgreSQL: "run a pass now" and "disable" through the standby reach the holder', async () => {
    await using database = await createTestDatabase('postgres');
    // Long enough that only the request can start the pass the test waits for.
    const env = postgresEnv(database, '300');
    const apps: RunningApp[] = [];
    try {
      apps.push(await startApp(loadConfig(env), createLogger({ level: 'silent' })));
      apps.push(await startApp(loadConfig(env), createLogger({ level: 'silent' })));
      const [holder, standby] = apps as [RunningApp, RunningApp];
      const headers = { authorization: `Bearer ${env.SYNCLINE_API_KEY}`, 'content-type': 'application/json' };
      const passes = async () => {
        const answer = await fetch(`${holder.url}/api/v1/sync/passes?limit=100`, { headers });
        const body = (await answer.json()) as { items: { status: string }[] };
        return body.items.filter((pass) => pass.status !== 'running').length;
      };
      let deadline = Date.now() + 20_000;
      while ((await passes()) < 1 && Date.now() < deadline) await sleep(200);
      const before = await passes();
      assert.equal(before, 1, 'the initial pass ran, and no other (interval 300 s)');
      const asked = await fetch(`${standby.url}/api/v1/sync/passes`, { method: 'POST', headers, body: '{}' });
      assert.equal(asked.status, 202);
      deadline = Date.now() + 10_000;
      while ((await passes()) === before && Date.now() < deadline) await sleep(200);
      assert.equal(await passes(), before + 1, 'the holder ran the pass asked for through the standby');
      // B8.1 likewise: disabled through the standby, the holder stops within seconds (its status says so).
      const disabled = await fetch(`${standby.url}/api/v1/sync/disable`, {
        method: 'POST',
        headers,
        body: '{}',
      });
      assert.equal(disabled.status, 200);
      const state = async () =>
        ((await (await fetch(`${holder.url}/api/v1/sync/status`, { headers })).json()) as { state: string })
          .state;
      deadline = Date.now() + 10_000;
      while ((await state()) !== 'disabled' && Date.now() < deadline) await sleep(200);
      assert.equal(await state(), 'disabled', 'the holder heard the switch made through the standby');
    } finally {
      for (const app of apps.reverse()) await app.stop();
    }
  });
});
