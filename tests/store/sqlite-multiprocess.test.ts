import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openTestStore } from '../helpers/test-store.ts';

const worker = join(import.meta.dirname, 'fixtures', 'upsert-worker.ts');

test('SQLite: upserts for one email from several processes at once create one person (BEGIN IMMEDIATE)', async () => {
  const { store, database, dispose } = await openTestStore('sqlite');
  try {
    assert.equal(database.config.kind, 'sqlite');
    const path = database.config.kind === 'sqlite' ? database.config.path : '';
    const children = Array.from({ length: 3 }, () =>
      promisify(execFile)(process.execPath, [worker, path, 'Shared@Example.com', '10']),
    );
    let createdHere = 0;
    for (let index = 0; index < 10; index++) {
      if (
        (await store.upsertPersonByEmail({ email: 'shared@example.com', fax: `${index}` }, 'api')).created
      ) {
        createdHere++;
      }
    }
    const results = await Promise.all(children);
    const createdThere = results.reduce(
      (sum, { stdout }) => sum + (JSON.parse(stdout) as { created: number }).created,
      0,
    );
    assert.equal(createdHere + createdThere, 1, 'exactly one call created the person');
    assert.equal((await store.listPersons({ email: 'shared@example.com', limit: 10 })).items.length, 1);
  } finally {
    await dispose();
  }
});
