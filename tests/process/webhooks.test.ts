import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { crmAdmin, startEmulatorProcess, type EmulatorProcess } from '../engine/sync-world.ts';
import { runSyncline } from '../helpers/run-syncline.ts';
import { createTestDatabase, storeKinds } from '../helpers/test-store.ts';

/**
 * Issue 14 acceptance (B2.8) with everything as its own process over real HTTP: the emulator, `syncline
 * webhooks install|status|uninstall`, `syncline check` and `syncline start` with SYNCLINE_SYNC_INTERVAL=300, so
 * only the fast path can carry a change before the next pass. On SQLite and PostgreSQL.
 */

const root = join(import.meta.dirname, '..', '..');
const secret = 'process-webhook-secret-0123456789';
const apiKey = 'process-webhook-api-key';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('syncline webhooks and the fast path, as processes (B2.8, issue 14)', () => {
  let emulator: EmulatorProcess;
  before(async () => {
    emulator = await startEmulatorProcess(['--seed', 'empty']);
  });
  after(() => emulator.stop());

  for (const kind of storeKinds) {
    test(`B2.8 install, a CRM edit crosses within 3 s, forged calls 401, a dropped webhook waits for the pass, no second activity, uninstall (${kind})`, async () => {
      const crm = crmAdmin(emulator.url);
      const reset = await crm('POST', '/_emulator/reset', {
        seed: 'demo',
        contacts: 4,
        leads: 2,
        accounts: 2,
      });
      assert.ok(reset.status < 300, JSON.stringify(reset.json));
      await crm('PUT', '/_emulator/webhooks', {});
      await using database = await createTestDatabase(kind);
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      const env = {
        SYNCLINE_DYNAMICS_URL: emulator.url,
        SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
        SYNCLINE_DB:
          database.config.kind === 'sqlite' ? `sqlite:${database.config.path}` : database.config.url,
        SYNCLINE_PORT: String(port),
        SYNCLINE_API_KEY: apiKey,
        SYNCLINE_SYNC_INTERVAL: '300',
        SYNCLINE_WEBHOOK_SECRET: secret,
        SYNCLINE_PUBLIC_URL: publicUrl,
      };

      const install = await runSyncline(['webhooks', 'install'], env);
      assert.equal(install.code, 0, install.output);
      assert.match(install.output, /service endpoint \S+ created \(WebhookKey\)/);
      assert.doesNotMatch(install.output, new RegExp(secret), 'the secret is never printed');
      const again = await runSyncline(['webhooks', 'install'], env);
      assert.equal(again.code, 0, again.output);
      assert.match(again.output, /0 created, 0 enabled again, \d+ already there, 0 removed/);
      const status = await runSyncline(['webhooks', 'status'], env);
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /✔ service endpoint \S+ \(WebhookKey\): \d+ enabled step/);
      if (kind === 'sqlite') {
        // `check` reads no sync state (the backend changes nothing in it): once is enough.
        const check = await runSyncline(['check'], env);
        assert.equal(check.code, 0, check.output);
        assert.match(check.output, /Webhooks \(near-real-time sync, B2\.8\):\n\s+✔ service endpoint/);
      }

      const engine: ChildProcess = spawn(process.execPath, ['bin/syncline.js', 'start'], {
        cwd: root,
        env: { ...process.env, SYNCLINE_LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      try {
        const api = async (method: string, path: string) => {
          const response = await fetch(`${publicUrl}${path}`, {
            method,
            headers: { authorization: `Bearer ${apiKey}` },
          }).catch(() => undefined);
          return response === undefined
            ? undefined
            : { status: response.status, json: (await response.json()) as any };
        };
        // The first pass (the initial load) runs at start; the next one is 300 s away.
        await until(
          'the initial load',
          async () =>
            (await api('GET', '/api/v1/sync/status'))?.json.passes.completed >= 1 ? true : undefined,
          60_000,
        );
        const synced = (await api('GET', '/api/v1/persons?crmType=contact&limit=100'))?.json.items;
        const [edited, dropped] = synced.map((person: any) => person.crmContactId as string);
        const personOf = async (contactId: string) =>
          (await api('GET', '/api/v1/persons?crmType=contact&limit=100'))?.json.items.find(
            (person: any) => person.crmContactId === contactId,
          );

        // A CRM edit reaches the person within 3 s (a functional bound: no pass runs for 300 s).
        assert.equal((await crm('PATCH', `contacts(${edited})`, { firstname: 'Webhooked' })).status, 204);
        const person = await until(
          'the edit to cross by webhook',
          async () => {
            const current = await personOf(edited);
            return current?.firstName === 'Webhooked' ? current : undefined;
          },
          3_000,
        );
        const latency = (await api('GET', '/api/v1/sync/status'))?.json.latency.fromCrm;
        assert.equal(latency.count, 1, `the webhook's change is timed: ${JSON.stringify(latency)}`);

        // Forged and keyless webhooks: 401, and nothing applied (the webhook for the edit is dropped).
        await crm('PUT', '/_emulator/webhooks', { seed: 7, dropRate: 1 });
        assert.equal((await crm('PATCH', `contacts(${dropped})`, { firstname: 'Only by pass' })).status, 204);
        const body = JSON.stringify({
          MessageName: 'Update',
          PrimaryEntityName: 'contact',
          PrimaryEntityId: dropped,
        });
        for (const url of ['', '?code=forged-key-0123456789', `?code=${secret}x`]) {
          const forged = await fetch(`${publicUrl}/api/v1/webhooks/dataverse${url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
            body,
          });
          assert.equal(forged.status, 401, url);
          assert.equal(((await forged.json()) as any).error.code, 'WEBHOOK_KEY_INVALID');
        }
        await sleep(1_000);
        assert.notEqual((await personOf(dropped))?.firstName, 'Only by pass', 'nothing applied');

        // The next pass repairs the dropped webhook and writes nothing for the change the fast path carried.
        assert.equal((await api('POST', '/api/v1/sync/passes'))?.status, 202);
        await until(
          'the pass',
          async () =>
            (await api('GET', '/api/v1/sync/status'))?.json.passes.completed >= 2 ? true : undefined,
          30_000,
        );
        assert.equal((await personOf(dropped))?.firstName, 'Only by pass');
        const passes = await api('GET', '/api/v1/sync/passes?limit=1');
        const counts = passes?.json.items[0].counts as Record<string, number>;
        assert.equal(
          counts['contact.fromCrm.updated'],
          1,
          `only the dropped change: ${JSON.stringify(counts)}`,
        );
        const activities = (await api('GET', `/api/v1/persons/${person.id}/activities?limit=100`))?.json
          .items;
        const changes = activities.filter(
          (activity: any) =>
            activity.type === 'data-value-changed' && activity.attributes.field === 'firstName',
        );
        assert.equal(changes.length, 1, `one activity for one change: ${JSON.stringify(changes)}`);
      } finally {
        await crm('PUT', '/_emulator/webhooks', {});
        engine.kill('SIGTERM');
        if (engine.exitCode === null) await once(engine, 'exit');
      }

      const uninstall = await runSyncline(['webhooks', 'uninstall'], env);
      assert.equal(uninstall.code, 0, uninstall.output);
      assert.match(uninstall.output, /removed service endpoint \S+ and its \d+ step\(s\)/);
      const gone = await runSyncline(['webhooks', 'status'], env);
      assert.equal(gone.code, 1, gone.output);
      assert.match(gone.output, /not installed/);
    });
  }

  test('B2.8, B2.9 PostgreSQL: a standby replica receives and applies webhooks while the other holds the engine', async () => {
    const crm = crmAdmin(emulator.url);
    const reset = await crm('POST', '/_emulator/reset', { seed: 'demo', contacts: 3, leads: 1, accounts: 1 });
    assert.ok(reset.status < 300, JSON.stringify(reset.json));
    await using database = await createTestDatabase('postgres');
    const env = {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
      SYNCLINE_DB: (database.config as { url: string }).url,
      SYNCLINE_PORT: '0',
      SYNCLINE_API_KEY: apiKey,
      SYNCLINE_SYNC_INTERVAL: '300',
      SYNCLINE_WEBHOOK_SECRET: secret,
    };
    const holder = await startApp(loadConfig(env), createLogger({ level: 'silent' }));
    const standby = await startApp(loadConfig(env), createLogger({ level: 'silent' }));
    try {
      const api = async (path: string) =>
        (await (
          await fetch(`${standby.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } })
        ).json()) as any;
      await until(
        'the initial load',
        async () => ((await api('/api/v1/sync/status')).passes.completed >= 1 ? true : undefined),
        60_000,
      );
      // Dataverse reaches the standby (as a load balancer may route it): it applies the change itself.
      const install = await runSyncline(['webhooks', 'install'], {
        ...env,
        SYNCLINE_PUBLIC_URL: standby.url,
      });
      assert.equal(install.code, 0, install.output);
      const [person] = (await api('/api/v1/persons?crmType=contact&limit=1')).items;
      assert.equal(
        (await crm('PATCH', `contacts(${person.crmContactId})`, { firstname: 'Via standby' })).status,
        204,
      );
      await until(
        'the edit to cross through the standby',
        async () =>
          (await api(`/api/v1/persons/${person.id}`)).firstName === 'Via standby' ? true : undefined,
        5_000,
      );
      assert.equal((await api('/api/v1/sync/status')).passes.completed, 1, 'no pass carried it');
    } finally {
      await standby.stop();
      await holder.stop();
    }
  });

  test('webhooks install without SYNCLINE_PUBLIC_URL or the secret fails with CONFIG_INVALID naming them', async () => {
    const result = await runSyncline(['webhooks', 'install'], {
      SYNCLINE_DYNAMICS_URL: emulator.url,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
    });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /CONFIG_INVALID/);
    assert.match(result.output, /SYNCLINE_PUBLIC_URL and SYNCLINE_WEBHOOK_SECRET/);
  });
});
