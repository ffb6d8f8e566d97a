import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { crmAdmin, startEmulatorProcess, type EmulatorProcess } from './sync-world.ts';

/**
 * Issue 4, crash safety (B2.4): the engine process is killed with SIGKILL at random points of its passes while
 * both sides are being edited. After a restart and quiescence there is no duplicate person or CRM record, both
 * sides agree on every synced field, and one more pass writes nothing on either side.
 */

const root = join(import.meta.dirname, '..', '..');
const apiKey = 'crash-test-key';

/** A small deterministic PRNG (mulberry32): the kill points and edits of a seed are reproducible. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface EngineProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startEngine(emulatorUrl: string, database: string): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['src/main.ts', 'start'], {
    cwd: root,
    env: {
      ...process.env,
      SYNCLINE_DB: `sqlite:${database}`,
      SYNCLINE_PORT: '0',
      SYNCLINE_API_KEY: apiKey,
      SYNCLINE_DYNAMICS_URL: emulatorUrl,
      SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
      SYNCLINE_SYNC_INTERVAL: '0',
      SYNCLINE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`engine exited early (${code})`)));
    lines.on('line', (line) => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
      if (match) resolve(match[1]);
    });
  });
  return { child, url };
}

async function kill(engine: EngineProcess, signal: NodeJS.Signals) {
  if (engine.child.exitCode !== null || engine.child.signalCode !== null) return;
  engine.child.kill(signal);
  await once(engine.child, 'exit');
}

async function api(engine: EngineProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${engine.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: response.status === 204 ? undefined : await response.json() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('B2.4 crash safety: SIGKILL at random points of passes', () => {
  let emulator: EmulatorProcess;
  let directory: string;
  before(async () => {
    emulator = await startEmulatorProcess(['--seed', 'empty']);
    directory = await mkdtemp(join(tmpdir(), 'syncline-crash-'));
  });
  after(async () => {
    await emulator.stop();
    await rm(directory, { recursive: true, force: true });
  });

  for (const seed of [11, 29]) {
    // Several engine processes started and killed in turn: 117 s for seed 11 in a CI run beside a chaos run
    // (load 10 on 2 cores), against the suite's 120-s default.
    test(
      `seed ${seed}: no duplicates, both sides agree, and one more pass writes nothing`,
      { timeout: 360_000 },
      async () => {
        const next = random(seed);
        const crm = crmAdmin(emulator.url);
        await crm('POST', '/_emulator/reset', { seed: 'demo', contacts: 12, leads: 8, accounts: 3 });
        const database = join(directory, `crash-${seed}.db`);
        const createdInCrm: string[] = [];
        const contactIds = (await crm('GET', 'contacts?$select=contactid')).json.value.map(
          (row: any) => row.contactid,
        );
        const leadIds = (await crm('GET', 'leads?$select=leadid')).json.value.map((row: any) => row.leadid);
        const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
        const token = () => Math.floor(next() * 1e9).toString(36);

        for (let round = 0; round < 5; round += 1) {
          const engine = await startEngine(emulator.url, database);
          const editing = (async () => {
            const deadline = Date.now() + 200 + next() * 1200;
            while (Date.now() < deadline) {
              const action = next();
              if (action < 0.35) {
                const entity = next() < 0.6 ? 'contacts' : 'leads';
                const id = pick(entity === 'contacts' ? contactIds : leadIds);
                await crm(
                  'PATCH',
                  `${entity}(${id})`,
                  { jobtitle: `crm-${token()}`, telephone1: `+1-555-${token()}` },
                  { 'if-match': '*' },
                );
              } else if (action < 0.45) {
                const created = await crm(
                  'POST',
                  'contacts',
                  { firstname: 'New', lastname: `Crm${token()}`, emailaddress1: `n${token()}@example.com` },
                  { prefer: 'return=representation' },
                );
                if (created.status === 201) {
                  contactIds.push(created.json.contactid);
                  createdInCrm.push(created.json.contactid);
                }
              } else {
                const persons = await api(engine, 'GET', '/api/v1/persons?limit=100').catch(() => undefined);
                const linked = persons?.json?.items?.filter((person: any) => person.crmType !== null) ?? [];
                if (linked.length > 0) {
                  const person = pick(linked) as { id: string };
                  await api(engine, 'PATCH', `/api/v1/persons/${person.id}`, {
                    title: `mkt-${token()}`,
                    mobilePhone: `+44-${token()}`,
                  }).catch(() => undefined);
                }
              }
              await sleep(10 + next() * 40);
            }
          })();
          await sleep(100 + next() * 900);
          await kill(engine, 'SIGKILL');
          await editing;
        }

        // Quiescence: no more edits; let passes run until nothing is pending, then stop cleanly.
        const engine = await startEngine(emulator.url, database);
        let status: any;
        const startedAt = (await api(engine, 'GET', '/api/v1/sync/status')).json.passes.completed;
        for (let attempt = 0; attempt < 200; attempt += 1) {
          status = (await api(engine, 'GET', '/api/v1/sync/status')).json;
          const pending = Object.values(status.entities).reduce(
            (sum: number, entity: any) => sum + entity.toCrm.pending,
            0,
          );
          if (status.passes.completed >= startedAt + 3 && pending === 0 && status.state !== 'failed') break;
          await sleep(100);
        }
        await kill(engine, 'SIGTERM');
        assert.equal(status.passes.lastError, null);

        const store = await createStore({ kind: 'sqlite', path: database }, silentLogger());
        try {
          // No duplicate person: each CRM record is linked to exactly one person and each person to one record.
          for (const [entity, ids] of [
            ['contact', contactIds],
            ['lead', leadIds],
          ] as const) {
            const rows = (
              await crm(
                'GET',
                `${entity}s?$select=${entity}id,jobtitle,telephone1,mobilephone,new_synctomkto`,
              )
            ).json.value;
            assert.equal(rows.length, ids.length, `no ${entity} was created in the CRM by the sync (B3.3)`);
            for (const row of rows) {
              if (row.new_synctomkto === false) continue;
              const link = await store.getLink(entity, row[`${entity}id`]);
              assert.ok(link, `${entity} ${row[`${entity}id`]} is linked`);
              const person = (await store.getPerson(link.personId))!;
              const sameRecord = await store.listPersons({
                limit: 10,
                email: String(person.fields.email ?? ''),
              });
              assert.equal(
                sameRecord.items.filter(
                  (candidate) =>
                    candidate.fields[entity === 'lead' ? 'crmLeadId' : 'crmContactId'] === row[`${entity}id`],
                ).length,
                1,
                'one person per CRM record',
              );
              // Both sides agree on every edited two-way field.
              assert.equal(
                person.fields.title ?? null,
                row.jobtitle ?? null,
                `title of ${entity} ${row[`${entity}id`]}`,
              );
              assert.equal(
                person.fields.phone ?? null,
                row.telephone1 ?? null,
                `phone of ${entity} ${row[`${entity}id`]}`,
              );
              assert.equal(
                person.fields.mobilePhone ?? null,
                row.mobilephone ?? null,
                `mobile of ${entity} ${row[`${entity}id`]}`,
              );
            }
          }
        } finally {
          await store.close();
        }

        // One more pass writes nothing on either side.
        const before = (await crm('GET', '/_emulator/stats')).json;
        const once = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
          const child = spawn(process.execPath, ['src/main.ts', 'sync', '--once'], {
            cwd: root,
            env: {
              ...process.env,
              SYNCLINE_DB: `sqlite:${database}`,
              SYNCLINE_DYNAMICS_URL: emulator.url,
              SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
              SYNCLINE_LOG_LEVEL: 'warn',
            },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let stdout = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.on('close', (code) => resolve({ code, stdout }));
        });
        assert.equal(once.code, 0, once.stdout);
        assert.doesNotMatch(
          once.stdout,
          /toCrm\.updated|fromCrm\.(updated|created)|marketing\.changes/,
          once.stdout,
        );
        const afterStats = (await crm('GET', '/_emulator/stats')).json;
        assert.deepEqual(afterStats.rows, before.rows, 'no CRM row was created or deleted');
      },
    );
  }
});
