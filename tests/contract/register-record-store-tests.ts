import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allChanges,
  collectPages,
  waitForChanges,
  rejectsWithCode,
  type StoreFactory,
  withSecondStore,
  storeTest,
} from './store-contract-support.ts';
import type { PersonChange } from '../../src/store/person-store.ts';

/** The change feed, activities, the CRM mirror, settings, migrations. */
export function registerRecordStoreTests(factory: StoreFactory): void {
  const it = storeTest(factory);

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

  it('prunePersonChanges drops what every reader has passed, and reading continues after it', async (store) => {
    await store.createPersons([{ email: 'a@p.io' }, { email: 'b@p.io' }, { email: 'c@p.io' }], 'api');
    await waitForChanges(store, 3);
    const firstTwo = await store.readPersonChanges(undefined, 2);
    assert.equal(await store.prunePersonChanges(firstTwo.nextCursor!), 2);
    const rest = await store.readPersonChanges(firstTwo.nextCursor!, 10);
    assert.equal(rest.items.length, 1);
    assert.equal((await allChanges(store)).length, 1);
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

  it('CRM mirror rows: upsert replaces, tombstones stay listed, pages visit every row once (B1.2, B3.6)', async (store) => {
    const rows = Array.from({ length: 12 }, (_, index) => ({
      entity: 'account',
      id: `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
      attributes: { name: `Account ${index}`, revenue: index * 10 },
      deleted: false,
    }));
    await store.upsertMirrorRows(rows);
    await store.upsertMirrorRows([
      { entity: 'systemuser', id: 'u1', attributes: { fullname: 'Sam' }, deleted: false },
    ]);
    await store.upsertMirrorRows([
      { ...rows[3], attributes: { name: 'Renamed' } },
      { ...rows[4], deleted: true },
    ]);

    assert.deepEqual((await store.getMirrorRow('account', rows[3].id))!.attributes, { name: 'Renamed' });
    assert.equal((await store.getMirrorRow('account', rows[4].id))!.deleted, true);
    assert.equal((await store.getMirrorRow('account', rows[5].id))!.deleted, false);
    assert.equal(await store.getMirrorRow('account', 'missing'), undefined);
    assert.equal(await store.getMirrorRow('Bad Entity', rows[0].id), undefined);

    const listed = await collectPages((cursor) => store.listMirrorRows('account', { limit: 5, cursor }));
    assert.deepEqual(
      listed.map((row) => row.id),
      rows.map((row) => row.id),
    );
    assert.deepEqual(await store.listMirrorEntities(), ['account', 'systemuser']);
    assert.deepEqual((await store.listMirrorRows('team', { limit: 5 })).items, []);
    await rejectsWithCode(store.listMirrorRows('drop table', { limit: 5 }), 'VALIDATION_FAILED');
    await rejectsWithCode(
      store.upsertMirrorRows([{ entity: 'Account', id: 'x', attributes: {}, deleted: false }]),
      'VALIDATION_FAILED',
    );
    await rejectsWithCode(
      store.upsertMirrorRows([
        { entity: 'account', id: 'x', attributes: { name: '\u0000' }, deleted: false },
      ]),
      'VALIDATION_FAILED',
    );
  });

  it('opportunity contact roles are replaced per opportunity and found by person (B1.3)', async (store) => {
    const person = await store.createPerson({ email: 'buyer@example.com' }, 'sync');
    await store.setOpportunityContactRoles('opp-1', [
      { contactId: 'c-1', personId: person.id, role: 'decision maker' },
      { contactId: 'c-2', personId: null, role: null },
    ]);
    await store.setOpportunityContactRoles('opp-2', [{ contactId: 'c-1', personId: person.id, role: null }]);
    assert.deepEqual(
      (await store.listOpportunityContactRoles({ personId: person.id })).map((role) => role.opportunityId),
      ['opp-1', 'opp-2'],
    );
    await store.setOpportunityContactRoles('opp-1', []);
    assert.deepEqual(await store.listOpportunityContactRoles({ opportunityId: 'opp-1' }), []);
    assert.equal((await store.listOpportunityContactRoles({ opportunityId: 'opp-2' }))[0].contactId, 'c-1');
  });

  it('settings and cursors: absent, set, overwritten, deleted', async (store) => {
    assert.equal(await store.getSetting('api-key-hash'), undefined);
    await store.setSetting('api-key-hash', 'h1');
    await store.setSetting('api-key-hash', 'h2');
    assert.equal(await store.getSetting('api-key-hash'), 'h2');
    assert.equal(await store.getCursor('marketing'), undefined);
    await store.setCursor('marketing', 'c1');
    await store.setCursor('marketing', 'c2');
    assert.equal(await store.getCursor('marketing'), 'c2');
    await store.deleteCursor('marketing');
    assert.equal(await store.getCursor('marketing'), undefined);
  });

  test('migrate is idempotent, also when two processes migrate a fresh database at once', async () => {
    const database = await factory.createDatabase();
    try {
      await withSecondStore(database, (first) =>
        withSecondStore(database, async (second) => {
          await Promise.all([first.migrate(), second.migrate()]);
          await first.migrate();
          await second.createPerson({ email: 'after@example.com' }, 'api');
          assert.equal((await first.listPersons({ limit: 10 })).items.length, 1);
        }),
      );
    } finally {
      await database.dispose();
    }
  });

  it('capabilities name the backend', async (store) => {
    assert.equal(store.capabilities.kind, factory.name);
    assert.equal(store.capabilities.concurrentWriters, factory.name === 'postgres');
    assert.ok(store.capabilities.maxBatchRows >= 100);
  });
}
