import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type Backend = 'sqlite' | 'postgres';

/** The PostgreSQL server of the chaos runs (each seed gets a schema of its own, dropped afterwards). */
export const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One seed's database: what `SYNCLINE_DB` says, and how to remove it. */
export interface ChaosDatabase {
  readonly backend: Backend;
  readonly url: string;
  dispose(): Promise<void>;
}

export async function createDatabase(backend: Backend): Promise<ChaosDatabase> {
  if (backend === 'sqlite') {
    const directory = await mkdtemp(join(tmpdir(), 'syncline-chaos-'));
    return {
      backend,
      url: `sqlite:${join(directory, 'chaos.db')}`,
      dispose: () => rm(directory, { recursive: true, force: true }),
    };
  }
  const schema = `chaos_${randomBytes(6).toString('hex')}`;
  const url = new URL(postgresUrl);
  url.searchParams.set('schema', schema);
  return {
    backend,
    url: url.toString(),
    async dispose() {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
