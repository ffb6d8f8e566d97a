import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { processCpuMs } from './process-cpu.ts';

/** CPU (ms) each PostgreSQL server process had used at one instant, by pid. */
export type ServerCpu = ReadonlyMap<number, number>;

/**
 * The PostgreSQL server's processes on this machine and the CPU each has used so far: every pid
 * `pg_stat_activity` lists (client backends, the checkpointer, the WAL writer, autovacuum…) whose
 * `/proc/<pid>/comm` says `postgres`. Undefined for SQLite (its work is in the engine's own CPU) or a server
 * elsewhere (no such processes here).
 *
 * Why: on PostgreSQL, S1's cost per record is the engine's CPU plus the server's, and the two share this host's
 * cores with the emulator; the server's share says how many records/s the cores could carry at all
 * (docs/benchmarks.md, "What S1's 20,000 records/s would take").
 */
export async function serverCpu(config: DatabaseConfig): Promise<ServerCpu | undefined> {
  if (config.kind !== 'postgres') return undefined;
  const client = new pg.Client({ connectionString: config.url });
  await client.connect();
  let pids: number[];
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where pid <> pg_backend_pid()',
    );
    pids = rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    const name = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
    if (name?.trim() !== 'postgres') continue;
    const ms = await processCpuMs(pid);
    if (ms !== undefined) cpu.set(pid, ms);
  }
  return cpu.size > 0 ? cpu : undefined;
}

/**
 * The server's CPU between two readings: each process's growth, a process that started meanwhile counted whole.
 * A lower bound: a process that ended between the readings (a backend that disconnected, an autovacuum worker)
 * took its CPU with it.
 */
export function serverCpuBetween(
  before: ServerCpu | undefined,
  after: ServerCpu | undefined,
): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  let total = 0;
  for (const [pid, ms] of after) total += Math.max(0, ms - (before.get(pid) ?? 0));
  return total;
}
