import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { readChanges, waitForChanges } from '../contract/store-contract-support.ts';
import { openTestStore } from '../helpers/test-store.ts';
import type { PersonChange } from '../../src/store/person-store.ts';

/**
 * The change feed under concurrent PostgreSQL writers that commit out of order — where a sequence or
 * timestamp watermark loses changes. The reader must see every committed change exactly once (issue 3,
 * acceptance 2; B2.4).
 */

/** A promise with its resolver, to hold a transaction open until the test lets it commit. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Each test on its own schema, so "the feed from the beginning" is this test's alone. */
async function withPostgresStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const context = await openTestStore('postgres');
  try {
    await fn(context.store);
  } finally {
    await context.dispose();
  }
}

describe('PostgreSQL change feed with out-of-order commits', () => {
  test('a change committed after a later-started one is withheld, then delivered, never skipped', () =>
    withPostgresStore(async (store) => {
      const [early, late] = await store.createPersons(
        [{ email: 'early@example.com' }, { email: 'late@example.com' }],
        'api',
      );
      let cursor = (await waitForChanges(store, 2)).after;

      // Transaction A writes first (takes the lower xid and seq) but commits last.
      const holdA = gate();
      const aWrote = gate();
      const transactionA = store.withTransaction(async (tx) => {
        await tx.updatePerson(early.id, { city: 'A' }, 'api');
        aWrote.open();
        await holdA.promise;
      });
      await aWrote.promise;
      // Transaction B writes after A and commits while A is still open.
      await store.withTransaction((tx) => tx.updatePerson(late.id, { city: 'B' }, 'sync'));

      // B is committed, but A (older) is still running: the reader must not move past A's position yet.
      const whileOpen = await readChanges(store, cursor);
      assert.deepEqual(whileOpen.items, [], 'nothing at or above a running transaction is served');
      cursor = whileOpen.after;

      holdA.open();
      await transactionA;
      const afterCommit = await waitForChanges(store, 2, cursor);
      assert.deepEqual(
        afterCommit.items.map((change) => [change.personId, change.origin]),
        [
          [early.id, 'api'],
          [late.id, 'sync'],
        ],
      );
      assert.deepEqual((await readChanges(store, afterCommit.after)).items, [], 'none twice');
    }));

  test('a rolled-back transaction holds the feed back while open and leaves no change', () =>
    withPostgresStore(async (store) => {
      const [person, other] = await store.createPersons(
        [{ email: 'rollback@example.com' }, { email: 'other@example.com' }],
        'api',
      );
      let cursor = (await waitForChanges(store, 2)).after;
      const hold = gate();
      const wrote = gate();
      const doomed = store.withTransaction(async (tx) => {
        await tx.updatePerson(person.id, { city: 'never' }, 'api');
        wrote.open();
        await hold.promise;
        throw new Error('roll back');
      });
      await wrote.promise;
      // Another person: the doomed transaction holds this person's row lock until it ends.
      await store.updatePerson(other.id, { title: 'kept' }, 'api');
      const whileOpen = await readChanges(store, cursor);
      assert.deepEqual(whileOpen.items, []);
      cursor = whileOpen.after;
      hold.open();
      await assert.rejects(doomed, /roll back/);
      const changes = (await waitForChanges(store, 1, cursor)).items;
      assert.deepEqual(
        changes.map((change) => change.fields),
        [['title']],
      );
    }));

  test('several writers in overlapping transactions, committing out of order, and a following reader', () =>
    withPostgresStore(async (store) => {
      const writers = 6;
      const rounds = 15;
      const persons = await store.createPersons(
        Array.from({ length: writers }, (_, index) => ({ email: `writer${index}@example.com` })),
        'api',
      );
      let cursor = (await waitForChanges(store, writers)).after;
      const seen: PersonChange[] = [];
      let writing = true;
      const reader = (async () => {
        while (writing) {
          const page = await readChanges(store, cursor);
          seen.push(...page.items);
          cursor = page.after;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();

      // Each writer's transaction writes, then waits a varying number of event-loop turns before committing, so
      // transactions that started (and took their xid) earlier regularly commit after later ones.
      const committed: string[] = [];
      await Promise.all(
        persons.map(async (person, writer) => {
          for (let round = 0; round < rounds; round++) {
            const value = `${writer}:${round}`;
            await store.withTransaction(async (tx) => {
              await tx.updatePerson(person.id, { phone: value }, 'api');
              for (let turn = 0; turn < ((writer * 7 + round * 3) % 5) * 3; turn++) {
                await new Promise((resolve) => setImmediate(resolve));
              }
              await tx.updatePerson(person.id, { mobilePhone: value }, 'api');
            });
            committed.push(value);
          }
        }),
      );
      writing = false;
      await reader;
      seen.push(...(await waitForChanges(store, writers * rounds * 2 - seen.length, cursor)).items);

      assert.equal(committed.length, writers * rounds);
      assert.equal(seen.length, writers * rounds * 2, 'every committed change is seen');
      assert.equal(new Set(seen.map((change) => change.cursor)).size, seen.length, 'none twice');
      for (const person of persons) {
        const own = seen.filter((change) => change.personId === person.id);
        assert.equal(own.length, rounds * 2);
      }
    }));
});
