import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { buildCli } from '../../src/cli/cli.ts';
import { createTestDatabase, storeKinds, type TestDatabase } from '../helpers/test-store.ts';

/** Runs `syncline migrate` in-process against a database and returns what it printed. */
async function migrate(database: TestDatabase): Promise<string> {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const db = database.config.kind === 'sqlite' ? `sqlite:${database.config.path}` : database.config.url;
  const env = { SYNCLINE_DB: db, SYNCLINE_LOG_LEVEL: 'silent' };
  await buildCli({ env, stdout, stderr: new PassThrough() }).parseAsync(['node', 'syncline', 'migrate']);
  return printed;
}

for (const kind of storeKinds) {
  test(`syncline migrate applies every version once, then reports the schema up to date (${kind})`, async () => {
    const database = await createTestDatabase(kind);
    try {
      const first = await migrate(database);
      assert.match(first, /applied \d+ migration\(s\): 0001_initial/);
      assert.doesNotMatch(first, /postgres:\/\//, 'never prints the database URL');
      assert.match(await migrate(database), /the schema is up to date/);
    } finally {
      await database.dispose();
    }
  });
}

test('syncline migrate rejects an invalid SYNCLINE_DB with CONFIG_INVALID', async () => {
  await assert.rejects(
    buildCli({
      env: { SYNCLINE_DB: 'mysql://x' },
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    }).parseAsync(['node', 'syncline', 'migrate']),
    (error: unknown) => (error as { code?: string }).code === 'CONFIG_INVALID',
  );
});
