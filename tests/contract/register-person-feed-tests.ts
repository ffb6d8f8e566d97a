import assert from 'node:assert/strict';
import type { CursorStore } from '../../src/store/cursor-store.ts';
import type { PersonChange } from '../../src/store/person-store.ts';
import type { PersonStore } from '../../src/store/person-store.ts';
import {
  type StoreFactory,
  allChanges,
  collectPages,
  portTest,
  rejectsWithCode,
  waitForChanges,
  withSecondStore,
} from './store-contract-support.ts';

/** The persons port (PersonStore), continued: the change feed (B2.2, B4.4) and the activity log. */
export function registerPersonFeedTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): PersonStore => store);

  it('the change feed returns each committed change once, in order, with origin, kind and fields (B4.4)', async (store) => {
    const person = await store.createPerson({ email: 'f@example.com', firstName: 'F' }, 'api');
    await store.updatePerson(person.id, { crmType: 'contact', crmContactId: 'C1' }, 'sync');
    await store.updatePerson(person.id, { city: 'Rome' }, 'flow');
    await store.deletePerson(person.id, 'system');

    const changes = (await waitForChanges(store, 4)).items;
    assert.deepEqual(
      changes.map((change) => [change.kind, change.origin, [...change.fields].sort()]),
      [
        ['create', 'api', ['email', 'firstName']],
        ['update', 'sync', ['crmContactId', 'crmType']],
        ['update', 'flow', ['city']],
        ['delete', 'system', []],
      ],
    );
    assert.ok(changes.every((change) => change.personId === person.id));
    assert.equal(new Set(changes.map((change) => change.cursor)).size, 4);

    // Paging one at a time yields the same sequence; at the end nextCursor stays where it was.
    const oneByOne: PersonChange[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.readPersonChanges(after, 1);
      if (page.items.length === 0) {
        assert.equal(page.nextCursor, after, 'nothing new: resume from the same place');
        break;
      }
      oneByOne.push(...page.items);
      after = page.nextCursor!;
    }
    assert.deepEqual(oneByOne, changes);

    // Changes made later continue after the last cursor.
    await store.createPerson({ email: 'g@example.com' }, 'api');
    const next = await waitForChanges(store, 1, after);
    assert.equal(next.items.length, 1);
    assert.equal(next.items[0].kind, 'create');
  });

  it('exceptOrigin skips that origin in the store and resumes after the last row scanned (B4.4)', async (store) => {
    const [a] = await store.createPersonIds([{ email: 'a@x.io' }], 'api');
    const b = await store.createPersonIds(
      [{ email: 'b1@x.io' }, { email: 'b2@x.io' }, { email: 'b3@x.io' }],
      'sync',
    );
    const [c] = await store.createPersonIds([{ email: 'c@x.io' }], 'flow');
    await store.createPersonIds([{ email: 'd1@x.io' }, { email: 'd2@x.io' }], 'sync');
    const all = (await waitForChanges(store, 7)).items;
    const cursorOf = (index: number) => all[index].cursor;
    const except = { exceptOrigin: 'sync' } as const;

    // Three rows scanned per read: [a, b1, b2], [b3, c, d1], [d2], then nothing.
    const first = await store.readPersonChanges(undefined, 3, except);
    assert.deepEqual(first.items, [all[0]]);
    assert.equal(first.items[0].personId, a);
    assert.equal(first.nextCursor, cursorOf(2), 'resumes after b2, a skipped row');
    const second = await store.readPersonChanges(first.nextCursor!, 3, except);
    assert.deepEqual(
      second.items.map((change) => [change.personId, change.origin]),
      [[c, 'flow']],
    );
    assert.equal(second.nextCursor, cursorOf(5));
    const third = await store.readPersonChanges(second.nextCursor!, 3, except);
    assert.deepEqual(
      third,
      { items: [], nextCursor: cursorOf(6) },
      'only skipped rows: empty, yet it moves on',
    );
    assert.deepEqual(await store.readPersonChanges(third.nextCursor!, 3, except), {
      items: [],
      nextCursor: cursorOf(6),
    });
    // Without the option nothing is skipped.
    assert.deepEqual(
      (await store.readPersonChanges(undefined, 10)).items.map((change) => change.personId).slice(1, 4),
      b,
    );
  });

  it('an empty feed has no cursor; bad limits and cursors are rejected', async (store) => {
    assert.deepEqual(await store.readPersonChanges(undefined, 10), { items: [], nextCursor: null });
    await rejectsWithCode(store.readPersonChanges(undefined, 0), 'VALIDATION_FAILED');
    await rejectsWithCode(store.readPersonChanges(undefined, 10_001), 'VALIDATION_FAILED');
    await rejectsWithCode(store.readPersonChanges('not-a-cursor', 10), 'INVALID_CURSOR');
    await rejectsWithCode(
      store.readPersonChanges(Buffer.from('["person-changes:pg","1; drop","2"]').toString('base64url'), 10),
      'INVALID_CURSOR',
    );
  });

  it('a bulk create of any size records one create per person, in input order, with the fields it set (B4.4)', async (store) => {
    // 1,237 rows: whole statements of every backend plus an odd remainder (the bulk inserts run statements
    // of a few fixed sizes); a null field is not stored and not listed, as for a single create.
    const ids = await store.createPersonIds(
      Array.from({ length: 1237 }, (_, index) => ({
        email: `feed${index}@example.com`,
        ...(index % 2 === 0 ? { city: null } : { city: 'Oslo' }),
      })),
      'sync',
    );
    const changes = (await waitForChanges(store, 1237)).items;
    assert.deepEqual(
      changes.map((change) => change.personId),
      ids,
    );
    assert.deepEqual([...changes[0].fields].sort(), ['email']);
    assert.deepEqual([...changes[1].fields].sort(), ['city', 'email']);
    assert.ok(changes.every((change) => change.kind === 'create' && change.origin === 'sync'));
    const [first, second] = await store.getPersons([ids[0], ids[1]]);
    assert.equal(first.fields.city, null);
    assert.equal(second.fields.city, 'Oslo');
    assert.equal((await store.getPerson(ids[1236]))!.fields.email, 'feed1236@example.com');
  });

  it('prunePersonChanges drops what every reader has passed, and reading continues after it', async (store) => {
    await store.createPersons([{ email: 'a@p.io' }, { email: 'b@p.io' }, { email: 'c@p.io' }], 'api');
    await waitForChanges(store, 3);
    const firstTwo = await store.readPersonChanges(undefined, 2);
    assert.equal(await store.prunePersonChanges(firstTwo.nextCursor!), 2);
    const rest = await store.readPersonChanges(firstTwo.nextCursor!, 10);
    assert.equal(rest.items.length, 1);
    assert.equal((await allChanges(store)).length, 1);
  });

  it('prunePassedPersonChanges drops only what every named reader has passed and is older than the retention', async (store) => {
    const cursors = store as unknown as CursorStore;
    await store.createPersons([{ email: 'a@p.io' }, { email: 'b@p.io' }, { email: 'c@p.io' }], 'api');
    const all = (await waitForChanges(store, 3)).items;
    const later = new Date(Date.now() + 60_000).toISOString();
    const readers = ['test:reader-a', 'test:reader-b'];
    // Reader b has no position yet: it has passed nothing, so nothing goes.
    await cursors.setCursor('test:reader-a', all[1].cursor);
    assert.equal(await store.prunePassedPersonChanges({ readers, before: later }), 0);
    await cursors.setCursor('test:reader-b', all[0].cursor);
    // Passed by both, but younger than the retention: kept.
    const earlier = new Date(Date.parse(all[0].at) - 60_000).toISOString();
    assert.equal(await store.prunePassedPersonChanges({ readers, before: earlier }), 0);
    // Only the row both readers passed goes; running it again deletes nothing more.
    assert.equal(await store.prunePassedPersonChanges({ readers, before: later }), 1);
    assert.equal(await store.prunePassedPersonChanges({ readers, before: later }), 0);
    await cursors.setCursor('test:reader-b', all[2].cursor);
    assert.equal(await store.prunePassedPersonChanges({ readers, before: later }), 1);
    assert.deepEqual(
      (await allChanges(store)).map((change) => change.cursor),
      [all[2].cursor],
    );
    // Reading on from a pruned position still works.
    assert.equal((await store.readPersonChanges(all[1].cursor, 10)).items.length, 1);
    assert.equal(await store.prunePassedPersonChanges({ readers: [], before: later }), 0);
  });

  it('concurrent writers and a following reader: every change seen exactly once', async (store) => {
    const persons = await store.createPersons(
      Array.from({ length: 8 }, (_, index) => ({ email: `w${index}@example.com` })),
      'api',
    );
    let after = (await waitForChanges(store, persons.length)).after;
    const seen: PersonChange[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const page = await store.readPersonChanges(after, 50);
        seen.push(...page.items);
        after = page.nextCursor ?? after;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(
      persons.map(async (person, writer) => {
        for (let round = 0; round < 10; round++) {
          await store.withTransaction(async (tx) => {
            await tx.updatePerson(person.id, { phone: `${writer}-${round}` }, 'api');
            await tx.updatePerson(person.id, { mobilePhone: `${writer}-${round}` }, 'api');
          });
        }
      }),
    );
    writing = false;
    await reader;
    seen.push(...(await waitForChanges(store, 8 * 10 * 2 - seen.length, after)).items);
    assert.equal(seen.length, 8 * 10 * 2);
    assert.equal(new Set(seen.map((change) => change.cursor)).size, seen.length, 'no change twice');
  });

  it('activities: appended, listed newest first across pages; unknown persons rejected', async (store) => {
    const person = await store.createPerson({ email: 'act@example.com' }, 'api');
    const base = Date.parse('2024-01-01T00:00:00Z');
    for (let index = 0; index < 7; index++) {
      await store.appendActivity(
        person.id,
        'data-value-changed',
        { field: 'city', newValue: `c${index}` },
        new Date(base + (index % 3) * 1000).toISOString(),
      );
    }
    const latest = await store.appendActivity(person.id, 'crm.conflict', { field: 'city' });
    const listed = await collectPages((cursor) => store.listActivities(person.id, { limit: 3, cursor }));
    assert.equal(listed.length, 8);
    assert.deepEqual(listed[0], latest);
    for (let index = 1; index < listed.length; index++) {
      assert.ok(listed[index - 1].at >= listed[index].at, 'newest first');
    }
    assert.equal(new Set(listed.map((activity) => activity.id)).size, 8);
    assert.deepEqual(listed.at(-1)!.attributes.field, 'city');
    await rejectsWithCode(store.appendActivity('01900000-0000-7000-8000-000000000000', 'x', {}), 'NOT_FOUND');
    await rejectsWithCode(store.appendActivity(person.id, '', {}), 'VALIDATION_FAILED');
    await rejectsWithCode(store.appendActivity(person.id, 'x', { note: 'nul\u0000' }), 'VALIDATION_FAILED');
    assert.deepEqual(await store.listActivities('01900000-0000-7000-8000-000000000000', { limit: 5 }), {
      items: [],
      nextCursor: null,
    });
  });

  it('appendActivities: many persons in one call, newest first per person; an unknown person writes nothing', async (store) => {
    const [ann, bob] = await store.createPersons(
      [{ email: 'a@example.com' }, { email: 'b@example.com' }],
      'api',
    );
    await store.appendActivities([
      { personId: ann.id, type: 'crm.created-person', attributes: { n: 1 } },
      { personId: bob.id, type: 'crm.created-person', attributes: { n: 2 } },
      { personId: ann.id, type: 'data-value-changed', attributes: { n: 3 } },
    ]);
    const annLog = await store.listActivities(ann.id, { limit: 10 });
    assert.deepEqual(
      annLog.items.map((activity) => [activity.type, activity.attributes.n]),
      [
        ['data-value-changed', 3],
        ['crm.created-person', 1],
      ],
    );
    await rejectsWithCode(
      store.appendActivities([
        { personId: bob.id, type: 'x', attributes: {} },
        { personId: '01900000-0000-7000-8000-000000000000', type: 'x', attributes: {} },
      ]),
      'NOT_FOUND',
    );
    await rejectsWithCode(
      store.appendActivities([{ personId: bob.id, type: '', attributes: {} }]),
      'VALIDATION_FAILED',
    );
    assert.equal((await store.listActivities(bob.id, { limit: 10 })).items.length, 1);
  });

  it('B2.8: onMarketingCommit wakes listeners of this store and of a second one after a marketing commit, once per transaction; not for sync writes, deletes or rollbacks', async (store, database) => {
    await withSecondStore(database, async (other) => {
      let here = 0;
      let there = 0;
      const stopHere = store.onMarketingCommit(() => (here += 1));
      other.onMarketingCommit(() => (there += 1));
      // The second store may listen through a connection of its own (PostgreSQL), opened with its first
      // listener: write until it hears one, each write given time to be heard so none is still on its way.
      await waitUntil('the second store to hear a marketing commit', async () => {
        await store.createPerson({ firstName: 'Warm-up' }, 'api');
        await waitUntil('', async () => there > 0, 1000).catch(() => undefined);
        return there > 0;
      });
      const heard = async (before: number) =>
        waitUntil('the second store to hear the commit', async () => there > before);

      // Sync writes and deletes first: had they announced, the api write after them would arrive second.
      here = 0;
      let seen = there;
      const person = await store.createPerson({ firstName: 'Pat' }, 'sync');
      await store.updatePerson(person.id, { firstName: 'Pam' }, 'sync');
      await store.deletePerson(person.id, 'api');
      assert.equal(here, 0, 'sync writes and deletes wake no one');
      await store.createPerson({ firstName: 'Ann' }, 'api');
      assert.equal(here, 1, 'a committed api write wakes this process at once');
      await heard(seen);
      assert.equal(there, seen + 1, 'and the second store, once');

      // A transaction with several marketing writes: one wake-up, after the commit.
      seen = there;
      await store.withTransaction(async (tx) => {
        await tx.createPerson({ firstName: 'Bo' }, 'flow');
        await tx.createPerson({ firstName: 'Cy' }, 'api');
        assert.equal(here, 1, 'nothing before the commit');
      });
      assert.equal(here, 2);
      await heard(seen);
      assert.equal(there, seen + 1);

      // A rollback announces nothing.
      seen = there;
      await assert.rejects(
        store.withTransaction(async (tx) => {
          await tx.createPerson({ firstName: 'Gone' }, 'api');
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await store.createPerson({ firstName: 'Di' }, 'system');
      assert.equal(here, 3);
      await heard(seen);
      assert.equal(there, seen + 1, 'only the committed write was heard');

      stopHere();
      await store.createPerson({ firstName: 'Ed' }, 'api');
      assert.equal(here, 3, 'a removed listener is not called');
    });
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
