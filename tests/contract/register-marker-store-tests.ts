import assert from 'node:assert/strict';
import type { LinkStore } from '../../src/store/link-store.ts';
import type { MarkerKind, MarkerStore } from '../../src/store/marker-store.ts';
import type { PersonStore } from '../../src/store/person-store.ts';
import { portTest, rejectsWithCode, type StoreFactory } from './store-contract-support.ts';

const unknownId = '01900000-0000-7000-8000-000000000000';

/** The per-person markers port (MarkerStore): a marker lives exactly as long as its person. */
export function registerMarkerStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): MarkerStore & PersonStore & LinkStore => store);

  it('markers: absent, set, overwritten, deleted; per person and per kind', async (store) => {
    const ann = await store.createPerson({ email: 'ann@example.com' }, 'api');
    const bob = await store.createPerson({ email: 'bob@example.com' }, 'api');
    assert.equal(await store.getMarker(ann.id, 'qualify'), undefined);

    assert.equal(await store.setMarker(ann.id, 'qualify', 'lead-1'), true);
    assert.equal(await store.setMarker(ann.id, 'qualify', 'lead-2'), true);
    assert.equal(await store.setMarker(ann.id, 'campaign-seen', '{"rating":"Warm"}'), true);
    assert.equal(await store.setMarker(bob.id, 'qualify', 'lead-9'), true);
    assert.equal(await store.getMarker(ann.id, 'qualify'), 'lead-2');
    assert.equal(await store.getMarker(ann.id, 'campaign-seen'), '{"rating":"Warm"}');
    assert.equal(await store.getMarker(bob.id, 'qualify'), 'lead-9');

    assert.equal(await store.deleteMarker(ann.id, 'qualify'), true);
    assert.equal(await store.deleteMarker(ann.id, 'qualify'), false);
    assert.equal(await store.getMarker(ann.id, 'qualify'), undefined);
    assert.equal(await store.getMarker(ann.id, 'campaign-seen'), '{"rating":"Warm"}');
    assert.equal(await store.getMarker(bob.id, 'qualify'), 'lead-9');
  });

  it('a marker of a person that does not exist is not stored (false), and malformed ids match nothing', async (store) => {
    assert.equal(await store.setMarker(unknownId, 'qualify', 'lead-1'), false);
    assert.equal(await store.getMarker(unknownId, 'qualify'), undefined);
    assert.equal(await store.setMarker('', 'qualify', 'x'), false);
    assert.equal(await store.getMarker('bad\u0000id', 'qualify'), undefined);
    assert.equal(await store.deleteMarker('', 'qualify'), false);
  });

  it('rejects an unknown kind and a NUL in the value with VALIDATION_FAILED, storing nothing', async (store) => {
    const person = await store.createPerson({ email: 'v@example.com' }, 'api');
    await rejectsWithCode(store.setMarker(person.id, 'seen' as MarkerKind, 'x'), 'VALIDATION_FAILED');
    await rejectsWithCode(store.setMarker(person.id, 'qualify', 'a\u0000b'), 'VALIDATION_FAILED');
    assert.equal(await store.getMarker(person.id, 'qualify'), undefined);
  });

  it('deleting a person deletes its markers and no one else’s', async (store) => {
    const gone = await store.createPerson({ email: 'gone@example.com' }, 'api');
    const kept = await store.createPerson({ email: 'kept@example.com' }, 'api');
    await store.setMarker(gone.id, 'qualify', 'lead-1');
    await store.setMarker(gone.id, 'campaign-seen', '{}');
    await store.setMarker(kept.id, 'qualify', 'lead-2');
    assert.equal(await store.deletePerson(gone.id), true);
    assert.equal(await store.getMarker(gone.id, 'qualify'), undefined);
    assert.equal(await store.getMarker(gone.id, 'campaign-seen'), undefined);
    assert.equal(await store.getMarker(kept.id, 'qualify'), 'lead-2');
    // A marker never outlives its person: writing one for the deleted id stores nothing.
    assert.equal(await store.setMarker(gone.id, 'qualify', 'lead-3'), false);
    assert.equal(await store.getMarker(gone.id, 'qualify'), undefined);
  });

  it('a merge drops the loser’s markers and keeps the survivor’s own (B3.5)', async (store) => {
    const loser = await store.createPerson({ email: 'loser@example.com' }, 'sync');
    const survivor = await store.createPerson({ email: 'survivor@example.com' }, 'sync');
    await store.setMarker(loser.id, 'qualify', 'lead-of-loser');
    await store.setMarker(loser.id, 'campaign-seen', '{"rating":"Cold"}');
    await store.setMarker(survivor.id, 'campaign-seen', '{"rating":"Hot"}');
    await store.mergePersonInto(loser.id, survivor.id, 'sync');
    assert.equal(await store.resolvePersonId(loser.id), survivor.id);
    assert.equal(await store.getMarker(loser.id, 'qualify'), undefined);
    assert.equal(await store.getMarker(survivor.id, 'qualify'), undefined);
    assert.equal(await store.getMarker(survivor.id, 'campaign-seen'), '{"rating":"Hot"}');
  });

  it("deleteMarkersOfKind deletes every person's marker of that kind and no other", async (store) => {
    const ann = await store.createPerson({ email: 'ann@example.com' }, 'api');
    const bob = await store.createPerson({ email: 'bob@example.com' }, 'api');
    await store.setMarker(ann.id, 'campaign-seen', '{}');
    await store.setMarker(bob.id, 'campaign-seen', '{}');
    await store.setMarker(bob.id, 'qualify', 'lead-1');
    assert.equal(await store.deleteMarkersOfKind('campaign-seen'), 2);
    assert.equal(await store.deleteMarkersOfKind('campaign-seen'), 0);
    assert.equal(await store.getMarker(ann.id, 'campaign-seen'), undefined);
    assert.equal(await store.getMarker(bob.id, 'qualify'), 'lead-1');
    await rejectsWithCode(store.deleteMarkersOfKind('nope' as MarkerKind), 'VALIDATION_FAILED');
  });
}
