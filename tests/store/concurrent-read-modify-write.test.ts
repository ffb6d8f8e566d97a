import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, storeKinds, type TestDatabase } from '../helpers/test-store.ts';

/**
 * B4.7 in the store: a read-modify-write holds what it read until it commits (src/store/sql/row-locks.ts), so
 * a concurrent writer — another connection, as the API beside the engine — waits for it instead of writing
 * back what it read before the other committed. Each scenario opens a transaction on one store, lets a second
 * store (another connection; on SQLite the process's one connection, whose writers take turns) write the same
 * row, and commits only after that write has either finished or been seen waiting.
 */

const sleep = (ms: number) => new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));

/** A transaction on `store` that runs `first`, stays open until `release` is called, then runs `last`. */
function openTransaction(
  store: Store,
  first: (tx: Store) => Promise<void>,
  last: (tx: Store) => Promise<void> = async () => undefined,
) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let wrote!: () => void;
  const written = new Promise<void>((resolve) => (wrote = resolve));
  const done = store.withTransaction(async (tx) => {
    await first(tx);
    wrote();
    await released;
    await last(tx);
  });
  return { written, release, done };
}

/** Starts `write`, waits until it finished or 300 ms passed, and says which. */
async function startConcurrently<T>(
  write: () => Promise<T>,
): Promise<{ result: Promise<T>; waited: boolean }> {
  const result = write();
  const waited = (await Promise.race([result, sleep(300)])) === 'waiting';
  return { result, waited };
}

for (const kind of storeKinds) {
  describe(`store: concurrent read-modify-writes (B4.7, ${kind})`, () => {
    let database: TestDatabase;
    let engine: Store;
    let api: Store;
    before(async () => {
      database = await createTestDatabase(kind);
      engine = await createStore(database.config, silentLogger());
      await engine.migrate();
      api = await createStore(database.config, silentLogger());
    });
    after(async () => {
      await api.close();
      await engine.close();
      await database.dispose();
    });

    test(`bases: two transactions setting different fields of one record's bases both keep theirs (${kind})`, async () => {
      const person = await engine.createPerson({ email: 'bases@race.test' }, 'sync');
      await engine.upsertLink({
        entity: 'contact',
        crmId: 'C-BASES',
        personId: person.id,
        state: 'active',
        etag: null,
        version: null,
      });
      await engine.setBases('contact', 'C-BASES', { lastname: 'Base' });
      const page = openTransaction(engine, (tx) => tx.setBases('contact', 'C-BASES', { firstname: 'Page' }));
      await page.written;
      const backfill = await startConcurrently(() =>
        api.setBases('contact', 'C-BASES', { new_tier: 'Gold' }),
      );
      page.release();
      await page.done;
      await backfill.result;
      assert.deepEqual(
        Object.fromEntries(await engine.getBases('contact', 'C-BASES')),
        { lastname: 'Base', firstname: 'Page', new_tier: 'Gold' },
        `both writers' fields are kept (the second ${backfill.waited ? 'waited' : 'did not wait'})`,
      );
    });

    test(`upsertPersonByEmail over a person another transaction is changing keeps that change (${kind})`, async () => {
      const person = await engine.createPerson(
        { email: 'upsert@race.test', firstName: 'Ann', lastName: 'Old' },
        'api',
      );
      const page = openTransaction(engine, async (tx) => {
        await tx.updatePersons([{ id: person.id, fields: { lastName: 'FromCrm' } }], 'sync');
      });
      await page.written;
      const upsert = await startConcurrently(() =>
        api.upsertPersonByEmail({ email: 'upsert@race.test', firstName: 'FromApi' }, 'api'),
      );
      page.release();
      await page.done;
      assert.equal((await upsert.result).created, false);
      const after = await engine.getPerson(person.id);
      assert.equal(after?.fields.firstName, 'FromApi');
      assert.equal(after?.fields.lastName, 'FromCrm', 'the transaction it waited for is not written back');
    });

    test(`getPersonsForUpdate holds the persons: updatePerson waits for the commit, then applies on top (${kind})`, async () => {
      const person = await engine.createPerson(
        { email: 'held@race.test', firstName: 'Base', lastName: 'Held' },
        'api',
      );
      let read: unknown;
      const page = openTransaction(
        engine,
        async (tx) => {
          // The emails the page may write, then the person: the store's lock order (row-locks.ts).
          const held = await tx.getPersonsForUpdate([person.id, 'not-a-person'], {
            emails: ['Moved@Race.test'],
          });
          assert.deepEqual(
            held.map((one) => one.id),
            [person.id],
          );
          read = held[0].fields.firstName;
        },
        // The page writes what it decided from what it read, the email the API edit also sets included.
        (tx) =>
          tx
            .updatePersons(
              [{ id: person.id, fields: { firstName: 'FromCrm', email: 'moved@race.test' } }],
              'sync',
            )
            .then(() => undefined),
      );
      await page.written;
      // The edit takes the email lock first: it waits there, so the page's write of that email meets no lock
      // cycle (on PostgreSQL a cycle would abort one of the two after deadlock_timeout).
      const edit = await startConcurrently(() =>
        api.updatePerson(person.id, { firstName: 'FromApi', email: 'moved@race.test' }, 'api'),
      );
      assert.equal(edit.waited, true, 'the edit waits while the page holds the person');
      page.release();
      await page.done;
      assert.equal(read, 'Base');
      const edited = await edit.result;
      assert.equal(edited?.fields.firstName, 'FromApi', 'the edit lands on top of the page, not under it');
      assert.equal((await engine.getPerson(person.id))?.fields.firstName, 'FromApi');
      const feed = await engine.readPersonChanges(undefined, 1000);
      const last = feed.items.filter((change) => change.personId === person.id).at(-1);
      assert.equal(last?.origin, 'api', 'the edit is the last change: the next collection pushes it');
    });
  });
}
