import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStringColumn } from './crm-columns.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

async function selectionWith(world: SyncWorld, entity: string, extra: string[], without: string[] = []) {
  const selected = (await world.service.listFields())
    .filter((field) => field.entity === entity && field.selected && !without.includes(field.attribute))
    .map((field) => field.attribute);
  return { [entity]: [...selected, ...extra] };
}

describe('engine: CRM schema changes and merges', () => {
  const emulator = useEmulator();

  test('B5.4/B5.5 a new attribute created in the CRM and selected is backfilled, nulls included; not deselectable while backfilling', () =>
    emulator.run({}, async (world) => {
      const withValue = await world.crmCreate('contact', {
        lastname: 'Filled',
        emailaddress1: 'filled@scenario.test',
      });
      const withoutValue = await world.crmCreate('contact', {
        lastname: 'Empty',
        emailaddress1: 'empty@scenario.test',
      });
      await world.pass();
      await createStringColumn(world, 'contact', 'new_Segment');
      await world.crmUpdate('contact', withValue, { new_segment: 'Enterprise' });
      // The person of the empty contact holds a stale marketing value: a backfill must overwrite it with null.
      const emptyPerson = await world.linkedPerson('contact', withoutValue);
      const fields = await world.service.saveFields(await selectionWith(world, 'contact', ['new_segment']));
      assert.equal(
        fields.find((field) => field.attribute === 'new_segment')?.state,
        'backfilling',
        'saving refreshed the schema (B5.4)',
      );
      await assert.rejects(
        world.service.saveFields(await selectionWith(world, 'contact', [], ['new_segment'])),
        (error: any) => error.code === 'CONFLICT',
      );
      await world.testStore.store.updatePerson(emptyPerson.id, { new_segment: 'Stale' }, 'sync');
      await world.service.backfills.runPending();
      assert.equal((await world.linkedPerson('contact', withValue)).fields.new_segment, 'Enterprise');
      assert.equal(
        (await world.linkedPerson('contact', withoutValue)).fields.new_segment,
        null,
        'nulls are backfilled too',
      );
      const after = await world.service.listFields();
      assert.equal(after.find((field) => field.attribute === 'new_segment')?.state, 'synced');
      const notes = await world.testStore.store.listNotifications({ limit: 20 });
      assert.ok(notes.items.some((note) => note.type === 'backfill-done'));
      // Now it syncs both ways like any field.
      await world.editPerson((await world.linkedPerson('contact', withValue)).id, { new_segment: 'SMB' });
      await world.pass();
      assert.equal((await world.crmGet('contact', withValue, ['new_segment'])).new_segment, 'SMB');
    }));

  test('B5.6 an attribute deleted in the CRM is quarantined while every other field keeps syncing', () =>
    emulator.run({}, async (world) => {
      await createStringColumn(world, 'contact', 'new_Doomed');
      const contactId = await world.crmCreate('contact', {
        lastname: 'Doom',
        emailaddress1: 'doom@scenario.test',
        new_doomed: 'x',
      });
      await world.pass();
      await world.service.saveFields(await selectionWith(world, 'contact', ['new_doomed']));
      await world.service.backfills.runPending();
      const deleted = await world.crm(
        'DELETE',
        `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_doomed')`,
      );
      assert.ok(deleted.status < 300, `delete: ${deleted.status}`);
      await world.crmUpdate('contact', contactId, { jobtitle: 'Still syncing' });
      const person = await world.linkedPerson('contact', contactId);
      await world.editPerson(person.id, { city: 'Bergen' });
      await world.pass();
      const field = (await world.service.listFields()).find(
        (candidate) => candidate.attribute === 'new_doomed',
      );
      assert.equal(field?.state, 'quarantined');
      assert.match(field?.stateReason ?? '', /new_doomed|Could not find/);
      assert.equal(
        (await world.linkedPerson('contact', contactId)).fields.title,
        'Still syncing',
        'CRM → marketing continues',
      );
      assert.equal(
        (await world.crmGet('contact', contactId, ['address1_city'])).address1_city,
        'Bergen',
        'marketing → CRM continues',
      );
      const notes = await world.testStore.store.listNotifications({ limit: 20 });
      assert.ok(notes.items.some((note) => note.type === 'field-quarantined'));
      // Re-saving the selection clears the quarantine (B5.6).
      await world.service.saveFields(await selectionWith(world, 'contact', []));
      const cleared = (await world.service.listFields()).find(
        (candidate) => candidate.attribute === 'new_doomed',
      );
      assert.ok(cleared === undefined || cleared.state !== 'quarantined');
    }));

  test('B3.5 a CRM merge folds the subordinate’s person into the master’s: master values win, blanks filled, activities moved', () =>
    emulator.run({}, async (world) => {
      const master = await world.crmCreate('contact', {
        firstname: 'Mia',
        lastname: 'Master',
        emailaddress1: 'mia@scenario.test',
      });
      const loser = await world.crmCreate('contact', {
        firstname: 'Mia',
        lastname: 'Loser',
        emailaddress1: 'mia2@scenario.test',
      });
      await world.pass();
      const masterPerson = await world.linkedPerson('contact', master);
      const loserPerson = await world.linkedPerson('contact', loser);
      await world.editPerson(loserPerson.id, { city: 'Tromsø' });
      await world.pass();
      const merged = await world.crm('POST', 'Merge', {
        Target: { '@odata.type': 'Microsoft.Dynamics.CRM.contact', contactid: master },
        Subordinate: { '@odata.type': 'Microsoft.Dynamics.CRM.contact', contactid: loser },
        UpdateContent: { '@odata.type': 'Microsoft.Dynamics.CRM.contact' },
        PerformParentingChecks: false,
      });
      assert.equal(merged.status, 204, JSON.stringify(merged.json));
      await world.pass();
      const survivor = await world.testStore.store.getPerson(masterPerson.id);
      assert.ok(survivor);
      assert.equal(await world.testStore.store.getPerson(loserPerson.id), undefined, 'one person remains');
      assert.equal(
        await world.testStore.store.resolvePersonId(loserPerson.id),
        masterPerson.id,
        'the loser id resolves to the survivor',
      );
      assert.equal(survivor.fields.lastName, 'Master', 'master values win');
      assert.equal(survivor.fields.city, 'Tromsø', 'the loser fills blanks');
      const activities = await world.activities(masterPerson.id);
      assert.ok(activities.some((activity) => activity.type === 'crm.merged'));
      assert.ok(
        activities.filter((activity) => activity.type === 'crm.created-person').length >= 2,
        'activities were moved',
      );
      await world.pass();
      assert.equal(
        (await world.crmGet('contact', master, ['address1_city'])).address1_city,
        'Tromsø',
        'the filled blank reaches the master record',
      );
    }));
});
