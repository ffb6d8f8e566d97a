import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SeedArtifacts } from '../../chaos/artifacts.ts';
import { History } from '../../chaos/history.ts';
import { writeViolationArtifacts } from '../../chaos/violation-artifacts.ts';
import type { World } from '../../chaos/world.ts';

/**
 * The chaos harness's artifacts (docs/chaos.md "Artifacts"): a seed with a violation keeps everything needed to
 * diagnose it — a violation may not reproduce on replay — and a clean seed leaves nothing behind.
 */
describe('chaos artifacts', () => {
  const roots: string[] = [];
  const root = async () => {
    const made = await mkdtemp(join(tmpdir(), 'chaos-artifacts-test-'));
    roots.push(made);
    return made;
  };
  after(() => Promise.all(roots.map((made) => rm(made, { recursive: true, force: true }))));

  test('a clean seed leaves nothing; a kept one gets its name, a replay of the same seed a suffix', async () => {
    const where = await root();
    const clean = await SeedArtifacts.create(where, 'postgres', 42);
    await writeFile(clean.logFile('emulator'), 'a line\n');
    await clean.discard();
    assert.deepEqual(await readdir(where), []);

    const first = await SeedArtifacts.create(where, 'postgres', 42);
    await writeFile(first.logFile('replica-0.1'), 'engine output\n');
    assert.equal(await first.keep(), join(where, 'seed-postgres-42'));
    const replay = await SeedArtifacts.create(where, 'postgres', 42);
    assert.equal(await replay.keep(), join(where, 'seed-postgres-42-2'));
    assert.equal(
      await readFile(join(where, 'seed-postgres-42', 'logs', 'replica-0.1.log'), 'utf8'),
      'engine output\n',
    );
    await first.discard();
    assert.ok(existsSync(join(where, 'seed-postgres-42')), 'discard after keep removes nothing');
  });

  test('a violated (person, field) gets its write history, conflicts, activities and CRM record', async () => {
    const personId = '0b7f7c1e-0000-4000-8000-000000000001';
    const leadId = '1c8a8d2f-0000-4000-8000-000000000002';
    const asked: string[] = [];
    const answers: Record<string, unknown> = {
      [`/api/v1/persons/${personId}`]: { id: personId, crmLeadId: leadId, crmContactId: null },
      [`/api/v1/sync/conflicts?personId=${personId}`]: [{ field: 'address2', winner: 'crm' }],
      [`/api/v1/persons/${personId}/activities`]: [{ type: 'crm.updated' }],
      '/api/v1/sync/passes': [{ id: 'p1' }],
    };
    const answer = async (path: string) => {
      asked.push(path);
      if (path === '/api/v1/sync/errors') throw new Error('the replica is gone');
      return answers[path] ?? {};
    };
    const world = {
      api: { all: answer, ok: (_method: string, path: string) => answer(path) },
      crm: {
        request: async (_method: string, path: string) => ({ status: 200, json: { path } }),
        control: async () => ({ version: 7 }),
      },
    } as unknown as World;
    const history = new History();
    const at = Date.parse('2026-01-01T10:00:00.000Z');
    const write = (side: 'marketing' | 'crm', subject: any, field: string, value: string, ms: number) =>
      history.record({
        side,
        subject,
        field,
        value,
        sentAt: at + ms,
        acknowledgedAt: at + ms + 40,
        dropped: side === 'crm',
        saw: 'base',
      });
    write('crm', { kind: 'record', entity: 'lead', crmId: leadId }, 'address2', 'c42-2', 500);
    write('marketing', { kind: 'person', personId }, 'address2', 'm42-4', 100);
    write('marketing', { kind: 'person', personId }, 'city', 'm42-5', 200);
    write('marketing', { kind: 'person', personId: 'someone-else' }, 'address2', 'm42-6', 300);

    const artifacts = await SeedArtifacts.create(await root(), 'postgres', 42);
    await writeViolationArtifacts(artifacts, world, history, [
      { check: 'conflicts', message: 'seed 42: …', personId, field: 'address2' },
    ]);
    const directory = await artifacts.keep();
    const read = (path: string) => readFile(join(directory, path), 'utf8');
    const person = `persons/${personId}`;

    assert.equal(
      await read(`${person}/writes-address2.txt`),
      `2026-01-01T10:00:00.100Z → 10:00:00.140Z  marketing "m42-4"  saw "base"  on person:${personId}\n` +
        `2026-01-01T10:00:00.500Z → 10:00:00.540Z  crm       "c42-2"  saw "base"  (answer lost: it committed)  on lead:${leadId}\n`,
      'the field’s writes on both sides, in order, with times and what each writer saw; no other field or person',
    );
    assert.deepEqual(JSON.parse(await read(`${person}/conflicts.json`)), [
      { field: 'address2', winner: 'crm' },
    ]);
    assert.deepEqual(JSON.parse(await read(`${person}/activities.json`)), [{ type: 'crm.updated' }]);
    assert.deepEqual(JSON.parse(await read(`${person}/crm-lead-${leadId}.json`)), {
      status: 200,
      record: { path: `leads(${leadId})` },
    });
    assert.ok(!existsSync(join(directory, person, 'writes-city.txt')));
    assert.deepEqual(JSON.parse(await read('sync-passes.json')), [{ id: 'p1' }]);
    assert.deepEqual(JSON.parse(await read('emulator-stats.json')), { version: 7 });
    assert.deepEqual(
      JSON.parse(await read('sync-errors.json')),
      { error: 'the replica is gone' },
      'a piece that cannot be fetched is written as its error; the others still are',
    );
    assert.equal(JSON.parse(await read('history.json')).writes.length, 4);
  });
});
