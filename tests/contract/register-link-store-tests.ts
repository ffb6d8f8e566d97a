import assert from 'node:assert/strict';
import type { LinkState, LinkStore, LinkedEntity } from '../../src/store/link-store.ts';
import type { PersonStore } from '../../src/store/person-store.ts';
import { type StoreFactory, portTest, rejectsWithCode, withSecondStore } from './store-contract-support.ts';

const unknownId = '01900000-0000-7000-8000-000000000000';

function link(
  store: LinkStore,
  entity: LinkedEntity,
  crmId: string,
  personId: string,
  state: LinkState = 'active',
) {
  return store.upsertLink({ entity, crmId, personId, state, etag: null, version: null });
}

/** The links port (LinkStore): links (B3.1), bases (B4.1) and person merges (B3.4, B3.5). */
export function registerLinkStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): LinkStore & PersonStore => store);

  it("lockLinksOf: a second writer deciding the same record's link waits for the first transaction; a page of 5,000 ids locks in one go (B3.2, B7.2)", async (store, database) => {
    const person = await store.createPerson({ email: 'lock@example.com' }, 'sync');
    const ids = Array.from(
      { length: 5000 },
      (_, n) => `0000${n}-aaaa-4bbb-8ccc-${String(n).padStart(12, '0')}`,
    );
    await withSecondStore(database, async (second) => {
      let secondLinked = false;
      let secondDone: Promise<void> | undefined;
      await store.withTransaction(async (transaction) => {
        // A transaction is the whole store; this suite uses its links port.
        const tx = transaction as unknown as LinkStore;
        await tx.lockLinksOf(ids);
        assert.equal(await tx.getLink('lead', ids[17]), undefined);
        secondDone = second.withTransaction(async (other) => {
          await other.lockLinksOf([ids[17].toUpperCase()]);
          secondLinked = (await other.getLink('lead', ids[17])) !== undefined;
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        await tx.upsertLink({
          entity: 'lead',
          crmId: ids[17],
          personId: person.id,
          state: 'active',
          etag: null,
          version: null,
        });
      });
      await secondDone;
      assert.equal(secondLinked, true, 'the second writer read the link only after the first committed it');
    });
  });

  it('links: created, re-linked, read singly and in bulk, listed per person, deleted with their bases (B3.1)', async (store) => {
    const person = await store.createPerson({ email: 'l@example.com' }, 'sync');
    const lead = await store.upsertLink({
      entity: 'lead',
      crmId: 'L-1',
      personId: person.id,
      state: 'active',
      etag: 'W/"1"',
      version: '1',
    });
    assert.equal(lead.state, 'active');
    const updated = await store.upsertLink({ ...lead, state: 'superseded', etag: 'W/"2"' });
    assert.equal(updated.linkedAt, lead.linkedAt, 'same person: still the same link');
    assert.equal(updated.etag, 'W/"2"');
    await link(store, 'contact', 'C-1', person.id, 'active');

    assert.deepEqual(await store.getLink('lead', 'L-1'), {
      ...updated,
      updatedAt: (await store.getLink('lead', 'L-1'))!.updatedAt,
    });
    assert.equal(await store.getLink('contact', 'L-1'), undefined);
    const bulk = await store.getLinks('lead', ['L-1', 'L-2', 'nope']);
    assert.deepEqual([...bulk.keys()], ['L-1']);
    const ofPerson = await store.listLinksOfPerson(person.id);
    assert.deepEqual(
      ofPerson.map((link) => [link.entity, link.state]),
      [
        ['contact', 'active'],
        ['lead', 'superseded'],
      ],
    );

    await store.setBases('lead', 'L-1', { firstName: 'A' });
    assert.equal(await store.deleteLink('lead', 'L-1'), true);
    assert.equal(await store.deleteLink('lead', 'L-1'), false);
    assert.equal((await store.getBases('lead', 'L-1')).size, 0, 'bases go with the link');
    await rejectsWithCode(
      store.upsertLink({
        entity: 'lead',
        crmId: 'L-9',
        personId: unknownId,
        state: 'active',
        etag: null,
        version: null,
      }),
      'NOT_FOUND',
    );
    await rejectsWithCode(
      store.upsertLink({
        entity: 'account' as never,
        crmId: 'A',
        personId: person.id,
        state: 'active',
        etag: null,
        version: null,
      }),
      'VALIDATION_FAILED',
    );
  });

  it('bases: per record and field, null differs from absent, types survive, removed with the person (B4.1)', async (store) => {
    const person = await store.createPerson({ email: 'b@example.com' }, 'sync');
    await link(store, 'contact', 'C-1', person.id, 'active');
    await store.setBases('contact', 'C-1', {
      firstName: 'Ann',
      doNotCall: false,
      annualRevenue: 1.25,
      city: null,
    });
    await store.setBases('contact', 'C-1', { firstName: 'Anne', lastName: 'Lee' });
    await store.setBases('contact', 'C-2', { firstName: '{"looks":"like json"}' });
    const bases = await store.getBases('contact', 'C-1');
    assert.deepEqual(Object.fromEntries(bases), {
      firstName: 'Anne',
      lastName: 'Lee',
      doNotCall: false,
      annualRevenue: 1.25,
      city: null,
    });
    assert.equal(bases.has('email'), false);
    await store.setBases('contact', 'C-1', { lastName: undefined });
    assert.equal((await store.getBases('contact', 'C-1')).has('lastName'), false);
    const many = await store.getBasesOf('contact', ['C-1', 'C-2', 'C-3']);
    assert.deepEqual([...many.keys()].sort(), ['C-1', 'C-2']);
    assert.equal(many.get('C-2')!.get('firstName'), '{"looks":"like json"}');

    await store.deletePerson(person.id, 'api');
    assert.equal((await store.getBases('contact', 'C-1')).size, 0);
    assert.equal(await store.getLink('contact', 'C-1'), undefined);
  });

  it('bulk links and bases: a page of records in one call, re-link keeps linkedAt only for the same person (B3.1, B4.1)', async (store) => {
    const [ann, bob] = await store.createPersons(
      [{ email: 'ann@example.com' }, { email: 'bob@example.com' }],
      'sync',
    );
    await store.upsertLinks([
      { entity: 'contact', crmId: 'C-1', personId: ann.id, state: 'active', etag: 'W/"1"', version: null },
      { entity: 'contact', crmId: 'C-2', personId: bob.id, state: 'active', etag: null, version: null },
    ]);
    const before = await store.getLinks('contact', ['C-1', 'C-2']);
    assert.equal(before.get('C-1')!.personId, ann.id);
    assert.equal(before.get('C-1')!.etag, 'W/"1"');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.upsertLinks([
      { entity: 'contact', crmId: 'C-1', personId: ann.id, state: 'excluded', etag: 'W/"2"', version: '2' },
      { entity: 'contact', crmId: 'C-2', personId: ann.id, state: 'active', etag: null, version: null },
    ]);
    const after = await store.getLinks('contact', ['C-1', 'C-2']);
    assert.equal(after.get('C-1')!.state, 'excluded');
    assert.equal(after.get('C-1')!.etag, 'W/"2"');
    assert.equal(after.get('C-1')!.linkedAt, before.get('C-1')!.linkedAt, 'same person: same link');
    assert.equal(after.get('C-2')!.personId, ann.id);
    assert.notEqual(after.get('C-2')!.linkedAt, before.get('C-2')!.linkedAt, 'another person: a new link');
    await rejectsWithCode(
      store.upsertLinks([
        { entity: 'lead', crmId: '', personId: ann.id, state: 'active', etag: null, version: null },
      ]),
      'VALIDATION_FAILED',
    );
    await assert.rejects(
      store.upsertLinks([
        { entity: 'lead', crmId: 'L-1', personId: unknownId, state: 'active', etag: null, version: null },
      ]),
    );
    assert.equal(await store.getLink('lead', 'L-1'), undefined, 'a refused bulk call writes nothing');

    await store.setBasesOf('contact', [
      { crmId: 'C-1', values: { firstName: 'Ann', city: null } },
      { crmId: 'C-2', values: { firstName: 'Bob', annualRevenue: 2.5 } },
    ]);
    await store.setBasesOf('contact', [{ crmId: 'C-1', values: { firstName: 'Anne', city: undefined } }]);
    const bases = await store.getBasesOf('contact', ['C-1', 'C-2']);
    assert.deepEqual(Object.fromEntries(bases.get('C-1')!), { firstName: 'Anne' });
    assert.deepEqual(Object.fromEntries(bases.get('C-2')!), { firstName: 'Bob', annualRevenue: 2.5 });
  });

  it('a page of new records: links, bases and activities of any size are each written once, in order (B3.1, B4.1)', async (store) => {
    // 1,111 records: whole statements of every backend plus an odd remainder.
    const count = 1111;
    const crmIds = Array.from(
      { length: count },
      (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    );
    const personIds = await store.createPersonIds(
      crmIds.map((_, n) => ({ email: `page${n}@example.com` })),
      'sync',
    );
    await store.upsertLinks(
      crmIds.map((crmId, n) => ({
        entity: 'contact' as const,
        crmId,
        personId: personIds[n],
        state: 'active' as const,
        etag: `W/"${n}"`,
        version: null,
      })),
    );
    await store.setBasesOf(
      'contact',
      crmIds.map((crmId, n) => ({
        crmId,
        // The last of them sets no base at all: no row, as before any was set.
        values:
          n === count - 1 ? { city: undefined } : { firstName: `F${n}`, city: n % 2 === 0 ? null : 'Oslo' },
      })),
    );
    await store.appendActivities(
      crmIds.map((crmId, n) => ({
        personId: personIds[n],
        type: 'crm.created-person',
        attributes: { crmId },
      })),
    );
    const links = await store.getLinks('contact', crmIds);
    assert.equal(links.size, count);
    assert.equal(links.get(crmIds[1000])!.personId, personIds[1000]);
    assert.equal(links.get(crmIds[1110])!.etag, 'W/"1110"');
    const bases = await store.getBasesOf('contact', crmIds);
    assert.equal(bases.size, count - 1);
    assert.deepEqual(Object.fromEntries(bases.get(crmIds[0])!), { firstName: 'F0', city: null });
    assert.deepEqual(Object.fromEntries(bases.get(crmIds[1109])!), { firstName: 'F1109', city: 'Oslo' });
    // A second write of some of them changes only the fields it names (B4.1).
    await store.setBasesOf('contact', [
      { crmId: crmIds[0], values: { city: 'Rome' } },
      { crmId: crmIds[1], values: { firstName: undefined, city: undefined } },
    ]);
    const again = await store.getBasesOf('contact', crmIds.slice(0, 2));
    assert.deepEqual(Object.fromEntries(again.get(crmIds[0])!), { firstName: 'F0', city: 'Rome' });
    assert.equal(again.has(crmIds[1]), false, 'every base removed: the row goes');
    const activities = await store.listActivities(personIds[1110], { limit: 10 });
    assert.deepEqual(
      activities.items.map((activity) => [activity.type, activity.attributes]),
      [['crm.created-person', { crmId: crmIds[1110] }]],
    );
  });

  it('merging persons moves activities, links and conflicts; the loser id resolves to the survivor (B3.5)', async (store) => {
    const survivor = await store.createPerson({ email: 'master@example.com' }, 'sync');
    const loser = await store.createPerson({ email: 'sub@example.com' }, 'sync');
    const earlier = await store.createPerson({ email: 'earlier@example.com' }, 'sync');
    await store.appendActivity(loser.id, 'crm.created-person', {});
    await link(store, 'contact', 'C-sub', loser.id, 'superseded');
    await store.setBases('contact', 'C-sub', { email: 'sub@example.com' });
    // A person merged earlier into the loser must follow it to the survivor.
    await store.mergePersonInto(earlier.id, loser.id, 'sync');
    await store.mergePersonInto(loser.id, survivor.id, 'sync');

    assert.equal(await store.getPerson(loser.id), undefined);
    assert.equal(await store.resolvePersonId(loser.id), survivor.id);
    assert.equal(await store.resolvePersonId(earlier.id), survivor.id);
    assert.equal(await store.resolvePersonId(survivor.id), survivor.id);
    assert.equal(await store.resolvePersonId(unknownId), undefined);
    assert.equal((await store.listActivities(survivor.id, { limit: 10 })).items.length, 1);
    assert.equal((await store.getLink('contact', 'C-sub'))!.personId, survivor.id);
    assert.equal((await store.getBases('contact', 'C-sub')).get('email'), 'sub@example.com');
    await rejectsWithCode(store.mergePersonInto(survivor.id, survivor.id, 'sync'), 'VALIDATION_FAILED');
    await rejectsWithCode(store.mergePersonInto(unknownId, survivor.id, 'sync'), 'NOT_FOUND');
  });
}
