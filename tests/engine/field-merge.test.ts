import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';
import type { PersonChange } from '../../src/store/person-store.ts';

/** Marketing-side writes since `cursor`, read from the change feed (anyone's, the sync's included). */
async function feedSince(world: SyncWorld, cursor: string | undefined): Promise<PersonChange[]> {
  const page = await world.testStore.store.readPersonChanges(cursor, 10_000);
  return page.items;
}

async function feedEnd(world: SyncWorld): Promise<string | undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await world.testStore.store.readPersonChanges(cursor, 10_000);
    if (page.items.length === 0) return cursor;
    cursor = page.nextCursor ?? cursor;
  }
}

describe('engine: field-level merge (B4)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`B4.2 different fields changed on each side both propagate in one pass (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const contactId = await world.crmCreate('contact', {
          firstname: 'Both',
          lastname: 'Sides',
          emailaddress1: 'both@scenario.test',
          jobtitle: 'Clerk',
        });
        await world.pass();
        const person = await world.linkedPerson('contact', contactId);
        await world.crmUpdate('contact', contactId, { firstname: 'Bothe', telephone1: '+1 555 0100' });
        await world.editPerson(person.id, { title: 'Manager', city: 'Lisbon' });
        await world.pass();
        const after = await world.linkedPerson('contact', contactId);
        assert.equal(after.fields.firstName, 'Bothe');
        assert.equal(after.fields.phone, '+1 555 0100');
        assert.equal(after.fields.title, 'Manager', 'the marketing edit is kept');
        const crm = await world.crmGet('contact', contactId, [
          'firstname',
          'telephone1',
          'jobtitle',
          'address1_city',
        ]);
        assert.equal(crm.jobtitle, 'Manager');
        assert.equal(crm.address1_city, 'Lisbon');
        assert.equal(crm.firstname, 'Bothe', 'the CRM edit is kept');
        const conflicts = await world.testStore.store.listConflicts({ limit: 10 });
        assert.equal(conflicts.items.length, 0, 'different fields never collide');
      }));

    test(`B4.3 same field changed on both sides: the marketing value wins for a lead, the loser is logged (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const leadId = await world.crmCreate('lead', {
          subject: 'Collision',
          firstname: 'Lee',
          lastname: 'Dee',
          emailaddress1: 'lead-collision@scenario.test',
          jobtitle: 'Base title',
        });
        await world.pass();
        const person = await world.linkedPerson('lead', leadId);
        await world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' });
        await world.editPerson(person.id, { title: 'Marketing title' });
        await world.pass();
        assert.equal((await world.linkedPerson('lead', leadId)).fields.title, 'Marketing title');
        assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing title');
        const conflicts = await world.testStore.store.listConflicts({ personId: person.id, limit: 10 });
        assert.equal(conflicts.items.length, 1);
        const [conflict] = conflicts.items;
        assert.equal(conflict.field, 'title');
        assert.equal(conflict.winner, 'marketing');
        assert.equal(conflict.crmValue, 'CRM title', 'the loser is kept in the conflict log');
        assert.equal(conflict.marketingValue, 'Marketing title');
        assert.equal(conflict.baseValue, 'Base title');
        const activity = (await world.activities(person.id)).filter((a) => a.type === 'crm.conflict');
        assert.equal(activity.length, 1);
        assert.equal(activity[0].attributes.crmValue, 'CRM title');
        assert.equal(activity[0].attributes.winner, 'marketing');
      }));

    test(`B4.3 same field changed on both sides: the CRM value wins for a contact, the loser is logged (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const contactId = await world.crmCreate('contact', {
          firstname: 'Con',
          lastname: 'Tact',
          emailaddress1: 'contact-collision@scenario.test',
          jobtitle: 'Base title',
        });
        await world.pass();
        const person = await world.linkedPerson('contact', contactId);
        await world.crmUpdate('contact', contactId, { jobtitle: 'CRM title' });
        await world.editPerson(person.id, { title: 'Marketing title' });
        await world.pass();
        assert.equal((await world.linkedPerson('contact', contactId)).fields.title, 'CRM title');
        assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'CRM title');
        const conflicts = await world.testStore.store.listConflicts({ personId: person.id, limit: 10 });
        assert.equal(conflicts.items.length, 1);
        const [conflict] = conflicts.items;
        assert.equal(conflict.field, 'title');
        assert.equal(conflict.winner, 'crm');
        assert.equal(conflict.marketingValue, 'Marketing title', 'the loser is kept in the conflict log');
        assert.equal(conflict.crmValue, 'CRM title');
        const activity = (await world.activities(person.id)).filter((a) => a.type === 'crm.conflict');
        assert.equal(activity.length, 1);
        assert.equal(activity[0].attributes.marketingValue, 'Marketing title');
        assert.equal(activity[0].attributes.winner, 'crm');
      }));

    test(`B4.5 a stale ETag (the CRM changed between the pull and the push) is re-read and merged, no lost update (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const contactId = await world.crmCreate('contact', {
          firstname: 'Race',
          lastname: 'Condition',
          emailaddress1: 'race@scenario.test',
          jobtitle: 'Base title',
          telephone1: '100',
        });
        await world.pass();
        const person = await world.linkedPerson('contact', contactId);
        await world.editPerson(person.id, { title: 'Marketing title' });
        // The pass reads the record (and its ETag); a person then edits it in the CRM before the push.
        let raced = false;
        world.beforeNextWrite(async () => {
          await world.crmUpdate('contact', contactId, { telephone1: '200', firstname: 'Racer' });
          raced = true;
        });
        const counts = await world.pass();
        assert.ok(raced, 'the CRM edit happened between the pull and the push');
        assert.ok((counts['contact.toCrm.staleEtag'] ?? 0) >= 1, JSON.stringify(counts));
        const crm = await world.crmGet('contact', contactId, ['jobtitle', 'telephone1', 'firstname']);
        assert.equal(crm.jobtitle, 'Marketing title', 'the marketing edit reached the CRM');
        assert.equal(crm.telephone1, '200', 'the racing CRM edit was not overwritten');
        assert.equal(crm.firstname, 'Racer');
        const after = await world.linkedPerson('contact', contactId);
        assert.equal(after.fields.phone, '200', 'the racing CRM edit reached the person in the same pass');
        assert.equal(after.fields.firstName, 'Racer');
        assert.equal(after.fields.title, 'Marketing title');
        const errors = await world.testStore.store.listSyncErrors({ limit: 10 });
        assert.equal(errors.items.length, 0);
      }));
  }

  test('B4.5 B4.3 a racing CRM edit of the same field of a lead: re-read, the marketing value wins, the CRM value is in the conflict log', () =>
    emulator.run({}, async (world) => {
      const leadId = await world.crmCreate('lead', {
        subject: 'Race',
        lastname: 'Lead',
        emailaddress1: 'race-lead@scenario.test',
        jobtitle: 'Base title',
      });
      await world.pass();
      const person = await world.linkedPerson('lead', leadId);
      await world.editPerson(person.id, { title: 'Marketing title' });
      world.beforeNextWrite(() => world.crmUpdate('lead', leadId, { jobtitle: 'Racing CRM title' }));
      const counts = await world.pass();
      assert.ok((counts['lead.toCrm.staleEtag'] ?? 0) >= 1, JSON.stringify(counts));
      assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing title');
      const conflicts = await world.testStore.store.listConflicts({ personId: person.id, limit: 10 });
      assert.deepEqual(
        conflicts.items.map((conflict) => [conflict.field, conflict.winner, conflict.crmValue]),
        [['title', 'marketing', 'Racing CRM title']],
      );
    }));

  test('B4.4 a settled record is never written again: two more passes write nothing on either side', () =>
    emulator.run(
      {
        seed: { seed: 'demo', contacts: 8, leads: 5, accounts: 3 },
        settings: { pageSize: 3 },
      },
      async (world) => {
        await world.pass();
        // Some traffic on both sides, including a collision on a lead and on a contact and type-normalised fields.
        const leads = await world.crm('GET', 'leads?$select=leadid,new_synctomkto');
        const contacts = await world.crm('GET', 'contacts?$select=contactid,new_synctomkto');
        const leadId = leads.json.value.find((row: any) => row.new_synctomkto !== false).leadid;
        const contactId = contacts.json.value.find((row: any) => row.new_synctomkto !== false).contactid;
        const leadPerson = await world.linkedPerson('lead', leadId);
        const contactPerson = await world.linkedPerson('contact', contactId);
        await world.crmUpdate('lead', leadId, { jobtitle: 'CRM', leadsourcecode: 7, donotphone: true });
        await world.editPerson(leadPerson.id, { title: 'Marketing', mobilePhone: '+44 1' });
        await world.crmUpdate('contact', contactId, { jobtitle: 'CRM', preferredcontactmethodcode: 2 });
        await world.editPerson(contactPerson.id, {
          title: 'Marketing',
          doNotFax: true,
          leadSource: 'Partner',
        });
        await world.pass();

        // The pass after the edits reads Syncline's own CRM writes back: they must not echo (B4.4).
        world.calls.length = 0;
        const version = await world.crmVersion();
        const feed = await feedEnd(world);
        const first = await world.pass();
        const second = await world.pass();
        assert.deepEqual(world.writes(), [], 'no CRM write was sent');
        assert.equal(await world.crmVersion(), version, 'the CRM changed nothing');
        assert.deepEqual(await feedSince(world, feed), [], 'the marketing database changed nothing');
        for (const counts of [first, second]) {
          const written = Object.entries(counts).filter(
            ([key, count]) =>
              /\.(toCrm\.updated|fromCrm\.(created|updated)|conflicts)$/.test(key) && count > 0,
          );
          assert.deepEqual(written, [], JSON.stringify(counts));
        }
        // The collision outcomes themselves held: marketing won on the lead, the CRM on the contact.
        assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing');
        assert.equal((await world.linkedPerson('contact', contactId)).fields.title, 'CRM');
        const lead = await world.crmGet('lead', leadId, ['mobilephone', 'leadsourcecode', 'donotphone']);
        assert.equal(lead.mobilephone, '+44 1');
        assert.equal(lead.leadsourcecode, 7);
        const contact = await world.crmGet('contact', contactId, ['donotfax', 'leadsourcecode']);
        assert.equal(contact.donotfax, true);
        assert.equal(contact.leadsourcecode, 4, 'the label was pushed as its option value (B5.3)');
      },
    ));
});
