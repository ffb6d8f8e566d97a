import assert from 'node:assert/strict';
import type { SyncFieldInput } from '../../src/domain/sync-field.ts';
import type { SyncFieldStore } from '../../src/store/sync-field-store.ts';
import { type StoreFactory, portTest, rejectsWithCode } from './store-contract-support.ts';

/** The field selection port (SyncFieldStore, B5). */
export function registerSyncFieldStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): SyncFieldStore => store);

  it('sync fields: selection saved and replaced, states changed with a reason (B5.1, B5.6)', async (store) => {
    const field: SyncFieldInput = {
      entity: 'contact',
      attribute: 'new_tier',
      personField: 'new_tier',
      type: 'string',
      access: { read: true, create: true, update: false },
      selected: true,
      state: 'backfilling',
      stateReason: null,
      policy: null,
      metadata: { options: { '1': 'Gold' } },
    };
    await store.upsertSyncFields([
      field,
      { ...field, entity: 'lead' },
      { ...field, attribute: 'firstname', personField: 'firstName', metadata: null },
    ]);
    await store.upsertSyncFields([{ ...field, policy: 'crm-wins' }]);
    const contact = await store.listSyncFields('contact');
    assert.deepEqual(
      contact.map((row) => row.attribute),
      ['firstname', 'new_tier'],
    );
    const tier = contact[1];
    assert.equal(tier.policy, 'crm-wins');
    assert.equal(tier.selected, true);
    assert.deepEqual(tier.access, { read: true, create: true, update: false });
    assert.deepEqual(tier.metadata, { options: { '1': 'Gold' } });
    assert.equal(contact[0].metadata, null);
    assert.equal(
      await store.setSyncFieldState('contact', 'new_tier', 'quarantined', 'attribute deleted in the CRM'),
      true,
    );
    const quarantined = (await store.listSyncFields('contact'))[1];
    assert.equal(quarantined.state, 'quarantined');
    assert.equal(quarantined.stateReason, 'attribute deleted in the CRM');
    assert.equal(await store.setSyncFieldState('contact', 'nope', 'synced', null), false);
    assert.equal((await store.listSyncFields()).length, 3);
    await rejectsWithCode(
      store.setSyncFieldState('contact', 'new_tier', 'lost' as never, null),
      'VALIDATION_FAILED',
    );
  });
}
