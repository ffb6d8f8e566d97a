import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { createTestDatabase, withRawPostgres } from '../helpers/test-store.ts';

test('PostgreSQL: options= in the URL take effect and keep the tables in the ?schema= given', async () => {
  const database = await createTestDatabase('postgres');
  if (database.config.kind !== 'postgres') throw new Error('expected PostgreSQL');
  const url = new URL(database.config.url);
  const name = `syncline-options-${process.pid}-${Date.now()}`;
  url.searchParams.set('options', `-c application_name=${name}`);
  const store = await createStore({ kind: 'postgres', url: url.toString() }, silentLogger());
  try {
    await store.migrate();
    const person = await store.createPerson({ email: 'opts@example.com' }, 'api');
    await withRawPostgres(database, async (client) => {
      const { rows } = await client.query<{ id: string }>('select id from persons');
      assert.deepEqual(
        rows.map((row) => row.id),
        [person.id],
        'the person is in the test schema',
      );
    });
    // The store's pooled connection is idle now, and carries the URL's option.
    await withRawPostgres(database, async (client) => {
      const { rows } = await client.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where application_name = $1',
        [name],
      );
      assert.ok(Number(rows[0].n) >= 1, 'a store connection runs with the options of the URL');
    });
  } finally {
    await store.close();
    await database.dispose();
  }
});
