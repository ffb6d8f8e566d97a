import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { buildCli } from '../../src/cli/cli.ts';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openRuntime } from '../../src/runtime/open-runtime.ts';

// What each command opens, in-process; the commands themselves run as processes in check-and-sync-once.test.ts.
let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'syncline-runtime-'));
});
after(() => rm(directory, { recursive: true, force: true }));

const configFor = (database: string) =>
  loadConfig({
    SYNCLINE_DB: `sqlite:${join(directory, database)}`,
    SYNCLINE_EMULATOR_PORT: '0',
    SYNCLINE_LOG_LEVEL: 'silent',
  });

describe('openRuntime', () => {
  test('opens only the parts asked for: the store alone starts no emulator, even in demo mode', async () => {
    const runtime = await openRuntime(configFor('store-only.db'), silentLogger(), { parts: ['store'] });
    try {
      assert.equal(runtime.crm, undefined);
      assert.equal(runtime.sync, undefined);
      assert.equal(runtime.emulatorUrl, undefined);
      assert.deepEqual((await runtime.store.migrate()).applied.slice(0, 1), ['0001_initial']);
    } finally {
      await runtime.close();
    }
  });

  test('demo mode: store, emulator, connector, sync and flows; close() stops them and can be repeated', async () => {
    const runtime = await openRuntime(configFor('demo.db'), silentLogger(), {
      parts: ['store', 'crm', 'sync', 'flows'],
      migrate: true,
    });
    let emulatorUrl: string;
    try {
      assert.match(runtime.emulatorUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      emulatorUrl = runtime.emulatorUrl!;
      assert.match((await runtime.crm.whoAmI()).userId, /^[0-9a-f-]{36}$/);
      assert.deepEqual((await runtime.store.migrate()).applied, [], 'migrated as it opened');
      assert.ok(runtime.flows !== undefined);
      assert.equal(runtime.sync.engine.state, 'idle');
    } finally {
      await runtime.close();
    }
    await runtime.close();
    await assert.rejects(fetch(`${emulatorUrl}/api/data/v9.2/WhoAmI`), 'the emulator was stopped');
  });

  test('existingDatabaseOnly refuses a missing SQLite file and creates none', async () => {
    const config = configFor('missing.db');
    await assert.rejects(
      openRuntime(config, silentLogger(), { parts: ['store'], existingDatabaseOnly: true }),
      (error: unknown) => (error as { code?: string }).code === 'STORE_UNAVAILABLE',
    );
    assert.equal(existsSync(join(directory, 'missing.db')), false);
  });

  test('the sync needs the store and the connector it runs on', async () => {
    await assert.rejects(
      openRuntime(configFor('sync-alone.db'), silentLogger(), { parts: ['store', 'sync'] }),
      /need the store and crm parts/,
    );
  });
});

test('syncline check without a configured CRM fails with CONFIG_INVALID and opens nothing', async () => {
  const database = join(directory, 'check-demo.db');
  await assert.rejects(
    buildCli({
      env: { SYNCLINE_DB: `sqlite:${database}`, SYNCLINE_EMULATOR_PORT: '0' },
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    }).parseAsync(['node', 'syncline', 'check']),
    (error: unknown) => (error as { code?: string }).code === 'CONFIG_INVALID',
  );
  assert.equal(existsSync(database), false);
});
