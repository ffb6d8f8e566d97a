import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createStore } from '../../src/store/registry.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { crmAdmin, startEmulatorProcess, type EmulatorProcess } from '../engine/sync-world.ts';

const root = join(import.meta.dirname, '..', '..');

function run(
  args: string[],
  env: Record<string, string>,
  entry = 'src/main.ts',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: root,
      env: { ...process.env, SYNCLINE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('syncline check and sync --once against the emulator process', () => {
  let emulator: EmulatorProcess;
  let directory: string;
  before(async () => {
    emulator = await startEmulatorProcess([
      '--seed',
      'demo',
      '--contacts',
      '8',
      '--leads',
      '5',
      '--accounts',
      '3',
    ]);
    directory = await mkdtemp(join(tmpdir(), 'syncline-cli-'));
  });
  after(async () => {
    await emulator.stop();
    await rm(directory, { recursive: true, force: true });
  });

  test('B8.3 check prints a readable report and exits 0 for the sync user', async () => {
    const result = await run(['check'], {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
      SYNCLINE_DB: `sqlite:${join(directory, 'absent.db')}`,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /credentials valid — WhoAmI: user d96e9f55/);
    assert.match(result.stdout, /✔ contact\s+read ✔/);
    assert.match(result.stdout, /The connection is usable|the connection is usable/);
    assert.equal(existsSync(join(directory, 'absent.db')), false, 'check creates no database');
    // B4.5: the emulator ignores UpdateMultiple's ETags by default (the worst case): updates stay on $batch.
    assert.match(
      result.stdout,
      /! lead\s+UpdateMultiple available true, stale ETag refused false → updates via \$batch with If-Match/,
    );
    assert.match(result.stdout, /! contact\s+.*→ updates via \$batch with If-Match/);
  });

  test('B4.5 check reports UpdateMultiple where the organisation proves it refuses stale ETags', async () => {
    const honouring = await startEmulatorProcess([
      '--seed',
      'empty',
      '--bulk-etags',
      'honoured',
      '--bulk-unavailable',
      'lead',
    ]);
    try {
      const result = await run(['check'], {
        SYNCLINE_DYNAMICS_URL: honouring.url,
        SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
        SYNCLINE_DB: `sqlite:${join(directory, 'absent.db')}`,
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(
        result.stdout,
        /✔ contact\s+UpdateMultiple available true, stale ETag refused true → updates via UpdateMultiple/,
      );
      assert.match(
        result.stdout,
        /! lead\s+UpdateMultiple available false.*→ updates via \$batch with If-Match/,
      );
      const leftovers = await crmAdmin(honouring.url)('GET', 'contacts?$select=lastname');
      const names = (leftovers.json as { value: { lastname: string | null }[] }).value.map(
        (row) => row.lastname,
      );
      assert.ok(!names.some((name) => name?.startsWith('syncline-probe')), 'the scratch records are gone');
    } finally {
      await honouring.stop();
    }
  });

  test('B8.3 check with a wrong token exits non-zero and says the credentials were refused', async () => {
    const result = await run(['check'], {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'not-the-token',
      SYNCLINE_DB: `sqlite:${join(directory, 'absent.db')}`,
    });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✘ credentials refused/);
    assert.match(result.stdout, /NOT usable/);
    assert.doesNotMatch(result.stdout + result.stderr, /not-the-token/, 'the token is never printed');
  });

  test('sync --once runs one pass, reports its counts and exits 0', async () => {
    const database = join(directory, 'once.db');
    const result = await run(['sync', '--once'], {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
      SYNCLINE_DB: `sqlite:${database}`,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Pass succeeded/);
    assert.match(result.stdout, /contact: \d+ rows/);
    const store = await createStore({ kind: 'sqlite', path: database }, silentLogger());
    try {
      const persons = await store.listPersons({ limit: 100, crmType: 'contact' });
      assert.ok(persons.items.length > 0);
      assert.equal((await store.getPassSummary()).completed, 1);
    } finally {
      await store.close();
    }
  });

  test('B6.5 sync --once shows totals: the CRM record-count snapshot on the initial load, the counted changes after', async () => {
    const crm = crmAdmin(emulator.url);
    const snapshot = await crm('POST', '/_emulator/record-counts');
    assert.equal(snapshot.status, 200);
    const contacts = snapshot.json.counts.contact as number;
    const env = {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
      SYNCLINE_DB: `sqlite:${join(directory, 'totals.db')}`,
    };
    const initial = await run(['sync', '--once'], env);
    assert.equal(initial.code, 0, initial.stdout + initial.stderr);
    assert.match(
      initial.stdout,
      new RegExp(`contact: ${contacts} rows \\(${contacts} expected: CRM record-count snapshot\\)`),
    );
    const created = await crm('POST', 'contacts', {
      lastname: 'Counted',
      emailaddress1: 'counted@example.com',
    });
    assert.equal(created.status, 204);
    const next = await run(['sync', '--once'], env);
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.match(next.stdout, /contact: 1 rows \(1 expected: changes since the last pass\)/);
    assert.match(next.stdout, /lead: 0 rows \(0 expected: changes since the last pass\)/);
  });

  test('the syncline binary runs sync --once in a child with the engine heap limits, same output and exit code', async () => {
    const database = join(directory, 'binary.db');
    const env = {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
      SYNCLINE_DB: `sqlite:${database}`,
    };
    const result = await run(['sync', '--once'], env, 'bin/syncline.js');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Pass succeeded/);
    const refused = await run(
      ['sync', '--once'],
      { ...env, SYNCLINE_DYNAMICS_TOKEN: 'not-the-token' },
      'bin/syncline.js',
    );
    assert.equal(refused.code, 1, "a failure in the child is the binary's exit code");
  });
});
