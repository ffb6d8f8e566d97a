import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { serverCpu, serverCpuBetween } from '../../bench/sync/database-cpu.ts';
import { testDatabaseUrl } from '../helpers/test-env.ts';

test("S1's server CPU is each process's growth, a process that started between the readings counted whole", () => {
  const before = new Map([
    [10, 100],
    [11, 50],
  ]);
  const after = new Map([
    [10, 150],
    [12, 20],
  ]);
  assert.equal(serverCpuBetween(before, after), 70);
  assert.equal(serverCpuBetween(undefined, after), undefined);
  assert.equal(serverCpuBetween(before, undefined), undefined);
});

test('SQLite has no server: its work is in the engine process', async () => {
  assert.equal(await serverCpu({ kind: 'sqlite', path: ':memory:' }), undefined);
});

test("the local PostgreSQL server's CPU grows by the work a backend does between two readings", async () => {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    const config = { kind: 'postgres', url: testDatabaseUrl } as const;
    const before = await serverCpu(config);
    assert.ok(before !== undefined && before.size > 0, 'the server runs on this host');
    // Some hundreds of milliseconds of server CPU, far above proc(5)'s 10-ms tick.
    await client.query('select count(*) from generate_series(1, 3000000)');
    const used = serverCpuBetween(before, await serverCpu(config));
    assert.ok(used !== undefined && used >= 50, `server CPU between the readings: ${used} ms`);
  } finally {
    await client.end();
  }
});
