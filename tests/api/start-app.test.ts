import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { silentLogger } from '../../src/logging/logger.ts';

// Through a real socket: the composition root listens on port 0 and the tests talk HTTP to it.
let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'syncline-start-'));
});
after(() => rm(directory, { recursive: true, force: true }));

const environment = (database: string, extra: Record<string, string> = {}) => ({
  SYNCLINE_DB: `sqlite:${join(directory, database)}`,
  SYNCLINE_PORT: '0',
  SYNCLINE_EMULATOR_PORT: '0',
  SYNCLINE_LOG_LEVEL: 'silent',
  ...extra,
});

describe('startApp over HTTP', () => {
  test('generates a key on the first start, shows it once, and keeps accepting it after a restart', async () => {
    const shown: string[] = [];
    const config = loadConfig(environment('first.db'));
    const first = await startApp(config, silentLogger(), { onGeneratedApiKey: (key) => shown.push(key) });
    let key: string;
    try {
      assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(shown.length, 1);
      key = shown[0]!;
      const health = await fetch(`${first.url}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      assert.equal((await fetch(`${first.url}/api/v1/persons`)).status, 401);

      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/api/v1/persons`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ email: 'socket@example.com', firstName: 'Sock' }),
      });
      assert.equal(created.status, 201);
      const { id } = (await created.json()) as { id: string };
      const fetched = await fetch(`${first.url}/api/v1/persons/${id}`, { headers });
      assert.equal(((await fetched.json()) as { firstName: string }).firstName, 'Sock');

      const malformed = await fetch(`${first.url}/api/v1/persons`, {
        method: 'POST',
        headers,
        body: '{"a":',
      });
      assert.equal(malformed.status, 400);
      assert.equal(((await malformed.json()) as { error: { code: string } }).error.code, 'INVALID_JSON');
    } finally {
      await first.stop();
    }

    const second = await startApp(config, silentLogger(), { onGeneratedApiKey: (k) => shown.push(k) });
    try {
      assert.equal(shown.length, 1, 'the key is generated and shown only once');
      // By email: in demo mode the sync adds the emulator's persons in the background, as fast as it can.
      const persons = await fetch(`${second.url}/api/v1/persons?email=socket@example.com`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(persons.status, 200);
      assert.equal(((await persons.json()) as { items: unknown[] }).items.length, 1);
    } finally {
      await second.stop();
    }
  });

  test('SYNCLINE_API_KEY is the key when set; nothing is generated', async () => {
    const shown: string[] = [];
    const config = loadConfig(environment('configured.db', { SYNCLINE_API_KEY: 'operator-chosen-key' }));
    const app = await startApp(config, silentLogger(), { onGeneratedApiKey: (key) => shown.push(key) });
    try {
      assert.deepEqual(shown, []);
      const ok = await fetch(`${app.url}/api/v1/person-fields`, {
        headers: { authorization: 'Bearer operator-chosen-key' },
      });
      assert.equal(ok.status, 200);
      const wrong = await fetch(`${app.url}/api/v1/person-fields`, {
        headers: { authorization: 'Bearer nope' },
      });
      assert.equal(wrong.status, 401);
    } finally {
      await app.stop();
    }
  });

  test('B2.8 demo mode installs the webhook: a CRM edit crosses without a pass (interval 300 s)', async () => {
    const key = 'demo-webhook-test-key';
    const config = loadConfig(
      environment('demo-webhook.db', { SYNCLINE_API_KEY: key, SYNCLINE_SYNC_INTERVAL: '300' }),
    );
    const app = await startApp(config, silentLogger());
    try {
      const api = async (path: string) => {
        const response = await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
        return (await response.json()) as any;
      };
      // The first pass (the initial load) runs at start; after it, the next one is 300 s away.
      const deadline = Date.now() + 60_000;
      while ((await api('/api/v1/sync/status')).passes.completed < 1) {
        assert.ok(Date.now() < deadline, 'the initial load finished');
        await sleep(100);
      }
      const admin = {
        authorization: `Bearer ${emulatorFixtures.defaultAdminToken}`,
        'content-type': 'application/json',
      };
      const contacts = await fetch(`${app.emulatorUrl}/api/data/v9.2/contacts?$select=contactid&$top=1`, {
        headers: admin,
      });
      const contactId = ((await contacts.json()) as { value: { contactid: string }[] }).value[0]!.contactid;
      const edited = await fetch(`${app.emulatorUrl}/api/data/v9.2/contacts(${contactId})`, {
        method: 'PATCH',
        headers: admin,
        body: JSON.stringify({ jobtitle: 'Edited in the demo CRM' }),
      });
      assert.equal(edited.status, 204);
      // Functional bound, not a speed measurement: only the fast path can do it before the next pass.
      const crossBy = Date.now() + 3_000;
      let title: unknown;
      while (Date.now() < crossBy) {
        const persons = await api('/api/v1/persons?crmType=contact&limit=200');
        title = persons.items.find((person: any) => person.crmContactId === contactId)?.title;
        if (title === 'Edited in the demo CRM') break;
        await sleep(100);
      }
      assert.equal(title, 'Edited in the demo CRM');
      assert.equal((await api('/api/v1/sync/status')).passes.completed, 1, 'no second pass ran');
    } finally {
      await app.stop();
    }
  });

  test('a port already in use fails the start and leaves nothing running', async () => {
    const holder = await startApp(
      loadConfig(environment('holder.db', { SYNCLINE_API_KEY: 'k' })),
      silentLogger(),
    );
    try {
      const port = new URL(holder.url).port;
      await assert.rejects(
        startApp(
          loadConfig(environment('clash.db', { SYNCLINE_API_KEY: 'k', SYNCLINE_PORT: port })),
          silentLogger(),
        ),
        /EADDRINUSE/,
      );
    } finally {
      await holder.stop();
    }
  });
});

describe('syncline start (the CLI process)', () => {
  test('serves the API, prints the generated key once (never in a log line), stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['src/main.ts', 'start'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, ...environment('cli.db', { SYNCLINE_LOG_LEVEL: 'info' }), SYNCLINE_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const reader = createInterface({ input: child.stdout });
      reader.on('line', (line) => {
        lines.push(line);
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`exited early (${code}): ${stderr}`)));
    });
    try {
      const keyLine = lines.find((line) => /^\s+sl_/.test(line));
      assert.ok(keyLine !== undefined, `no key printed:\n${lines.join('\n')}`);
      const key = keyLine.trim();
      const response = await fetch(`${url}/api/v1/persons`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(response.status, 200);
      assert.equal((await fetch(`${url}/api/v1/persons`)).status, 401);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    const logLines = lines.filter((line) => line.startsWith('{'));
    assert.ok(
      logLines.some((line) => line.includes('"msg":"stopped"')),
      lines.join('\n'),
    );
    const key = lines.find((line) => /^\s+sl_/.test(line))!.trim();
    assert.ok(!logLines.some((line) => line.includes(key)), 'the API key must never be logged');
  });
});

describe('syncline start stopped while it starts', () => {
  // An orchestrator may stop a replica at any moment, e.g. as soon as it answers GET /ready, which it does before
  // the start has finished (demo mode still installs its webhook then). Found by tests/ops/dockerfile.test.ts:
  // the signal handler was installed only once the start had finished, so SIGTERM's default action killed it.
  test('SIGTERM during the start: it finishes starting, stops at a safe boundary and exits 0', async () => {
    const child = spawn(process.execPath, ['src/main.ts', 'start'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, ...environment('early-stop.db', { SYNCLINE_LOG_LEVEL: 'info' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (code, signal) => resolve([code, signal])),
    );
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout });
    let signalled = false;
    reader.on('line', (line) => {
      lines.push(line);
      // The first migration is among the first things a start does; the API listens seconds later. Once: a
      // second signal means "stop now".
      if (line.includes('"msg":"migration applied"') && !signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `${lines.join('\n')}\n${stderr}`);
    assert.ok(
      lines.some((line) => line.includes('"msg":"stopped"')),
      lines.join('\n'),
    );
  });
});
