import assert from 'node:assert/strict';
import type { MirrorStore } from '../../src/store/mirror-store.ts';
import type { PersonStore } from '../../src/store/person-store.ts';
import { type StoreFactory, collectPages, portTest, rejectsWithCode } from './store-contract-support.ts';

/** The CRM mirror port (MirrorStore): mirror rows, contact roles, persons of an account (B1.2–B1.4). */
export function registerMirrorStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): MirrorStore & PersonStore => store);

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

  it('mirror rows of one entity are read in bulk; unknown ids are absent', async (store) => {
    await store.upsertMirrorRows([
      { entity: 'account', id: 'A-1', attributes: { name: 'Acme' }, deleted: false },
      { entity: 'account', id: 'A-2', attributes: { name: 'Gone' }, deleted: true },
      { entity: 'team', id: 'A-3', attributes: { name: 'Team' }, deleted: false },
    ]);
    const rows = await store.getMirrorRows('account', ['A-1', 'A-2', 'A-3', 'A-1', 'nope']);
    assert.deepEqual([...rows.keys()].sort(), ['A-1', 'A-2']);
    assert.equal(rows.get('A-1')!.attributes.name, 'Acme');
    assert.equal(rows.get('A-2')!.deleted, true);
    assert.equal((await store.getMirrorRows('Bad Entity', ['A-1'])).size, 0);
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

  it('listMirrorRows rejects a cursor of another list (a persons page) with INVALID_CURSOR', async (store) => {
    await store.createPersons([{ email: 'a@x.io' }, { email: 'b@x.io' }], 'api');
    const personCursor = (await store.listPersons({ limit: 1 })).nextCursor!;
    await rejectsWithCode(
      store.listMirrorRows('account', { limit: 10, cursor: personCursor }),
      'INVALID_CURSOR',
    );
  });

  it('persons of an account: counted and paged by id, others and malformed ids left out (B1.4)', async (store) => {
    const [first, second, other] = await store.createPersons(
      [
        { email: 'one@acme.io', crmAccountId: 'acc-1' },
        { email: 'two@acme.io', crmAccountId: 'acc-1' },
        { email: 'three@else.io', crmAccountId: 'acc-2' },
      ],
      'sync',
    );
    assert.equal(await store.countPersonsOfAccount('acc-1'), 2);
    assert.equal(await store.countPersonsOfAccount('acc-none'), 0);
    assert.equal(await store.countPersonsOfAccount(''), 0);
    const ids = (
      await collectPages((cursor) => store.listPersonsOfAccount('acc-1', { limit: 1, cursor }))
    ).map((person) => person.id);
    assert.deepEqual(ids, [first.id, second.id].sort());
    assert.ok(!ids.includes(other.id));
    assert.deepEqual(await store.listPersonsOfAccount('', { limit: 10 }), { items: [], nextCursor: null });
  });
}
