import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

describe('engine: the real QualifyLead action (B3.4)', () => {
  const emulator = useEmulator();

  test('B3.4 QualifyLead in the CRM → the same person, now a contact, linked to the new contact, one person only', () =>
    emulator.run({}, async (world) => {
      const leadId = await world.crmCreate('lead', {
        subject: 'Qualify through the action',
        firstname: 'Quade',
        lastname: 'Action',
        emailaddress1: 'quade@scenario.test',
        jobtitle: 'Buyer',
      });
      await world.pass();
      const person = await world.linkedPerson('lead', leadId);
      const contactId = await world.crmQualifyLead(leadId);
      await world.pass();
      const after = await world.linkedPerson('contact', contactId);
      assert.equal(after.id, person.id, 'the person keeps its id');
      assert.equal(after.fields.crmType, 'contact');
      assert.equal(after.fields.crmContactId, contactId);
      assert.equal(after.fields.title, 'Buyer');
      const sameEmail = await world.testStore.store.listPersons({ email: 'quade@scenario.test', limit: 10 });
      assert.equal(sameEmail.items.length, 1, 'no second person for the contact');
      const activities = await world.activities(person.id);
      assert.ok(activities.some((activity) => activity.type === 'crm.converted'));
      // The person now syncs with the contact (B1.1): a marketing edit reaches the contact, not the lead.
      await world.editPerson(person.id, { title: 'Head of Buying' });
      await world.pass();
      assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'Head of Buying');
      assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Buyer');
    }));
});

for (const store of storeKinds) {
  describe(`engine: QualifyLead between two passes, on ${store} (issue 13 item 5a, B3.4)`, () => {
    const emulator = useEmulator();

    /** One person for the chain, a contact with both ids, the contact's labels, `crm.converted` once. */
    async function assertOnePerson(world: SyncWorld, leadId: string, contactId: string, email: string) {
      const persons = (await world.testStore.store.listPersons({ email, limit: 10 })).items;
      assert.equal(persons.length, 1, 'one person for the lead and its contact');
      const [person] = persons;
      assert.equal((await world.linkedPerson('contact', contactId)).id, person.id);
      assert.equal((await world.testStore.store.getLink('lead', leadId))?.personId, person.id);
      assert.equal((await world.testStore.store.getLink('lead', leadId))?.state, 'superseded');
      assert.equal(person.fields.crmType, 'contact');
      assert.equal(person.fields.crmContactId, contactId);
      assert.equal(person.fields.crmLeadId, leadId);
      assert.equal(person.fields.personStatus, 'Active', "the contact's state, not the lead's");
      assert.equal(person.fields.statusReason, 'Active');
      const activities = await world.activities(person.id);
      const converted = activities.filter((activity) => activity.type === 'crm.converted');
      assert.equal(converted.length, 1, 'crm.converted once');
      assert.equal(converted[0].attributes.leadId, leadId);
      assert.equal(converted[0].attributes.contactId, contactId);
      assert.ok(!activities.some((activity) => activity.type === 'crm.conflict'));
      return person;
    }

    /** One more pass writes nothing on either side (B4.4). */
    async function assertQuiet(world: SyncWorld, email: string) {
      const version = await world.crmVersion();
      const before = (await world.testStore.store.listPersons({ email, limit: 10 })).items;
      world.calls.length = 0;
      await world.pass();
      assert.deepEqual(world.writes(), [], 'no CRM write');
      assert.equal(await world.crmVersion(), version);
      const after = (await world.testStore.store.listPersons({ email, limit: 10 })).items;
      assert.deepEqual(after, before, 'the person is unchanged');
    }

    test('B3.4 a lead created and qualified between two passes → one person, a contact, crm.converted once', () =>
      emulator.run({ store }, async (world) => {
        await world.pass();
        const email = 'quick@scenario.test';
        const leadId = await world.crmCreate('lead', {
          subject: 'Created and qualified at once',
          firstname: 'Quick',
          lastname: 'Qualify',
          emailaddress1: email,
          jobtitle: 'Buyer',
        });
        const contactId = await world.crmQualifyLead(leadId);
        await world.pass();
        const person = await assertOnePerson(world, leadId, contactId, email);
        assert.equal(person.fields.title, 'Buyer');
        await assertQuiet(world, email);
        // The person syncs with the contact (B1.1).
        await world.editPerson(person.id, { title: 'Head of Buying' });
        await world.pass();
        assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'Head of Buying');
        assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Buyer');
        const errors = await world.testStore.store.listSyncErrors({ limit: 10 });
        assert.deepEqual(errors.items, [], 'no sync error');
      }));

    test('B3.4 a contact that already has a person of its own is merged into the lead person', () =>
      emulator.run({ store }, async (world) => {
        const email = 'twice@scenario.test';
        const leadId = await world.crmCreate('lead', {
          subject: 'Two persons',
          lastname: 'Persons',
          emailaddress1: email,
          description: 'from the lead',
        });
        const contactId = await world.crmCreate('contact', { lastname: 'Persons', emailaddress1: email });
        await world.pass();
        const leadPerson = await world.linkedPerson('lead', leadId);
        const contactPerson = await world.linkedPerson('contact', contactId);
        assert.notEqual(leadPerson.id, contactPerson.id);
        // Then the contact is tied to the lead it came from and the lead is closed as qualified: the contact
        // produced a person before it was known to be the lead's.
        await world.crmUpdate('contact', contactId, {
          jobtitle: 'Merged',
          'originatingleadid@odata.bind': `/leads(${leadId})`,
        });
        await world.crmUpdate('lead', leadId, { statecode: 1, statuscode: 3 });
        await world.pass();
        const person = await assertOnePerson(world, leadId, contactId, email);
        assert.equal(person.id, leadPerson.id, "the lead's person keeps its id");
        assert.equal(person.fields.title, 'Merged');
        assert.equal(
          person.fields.notes,
          'from the lead',
          "the lead person's value fills the contact's blank",
        );
        const db = world.testStore.store;
        assert.equal(await db.resolvePersonId(contactPerson.id), leadPerson.id);
        assert.equal(
          (await world.crmGet('contact', contactId, ['description'])).description,
          'from the lead',
        );
        await assertQuiet(world, email);
      }));

    test('B3.4 a lead linked before the qualify → the same person re-linked, crm.converted once, quiet after', () =>
      emulator.run({ store }, async (world) => {
        const email = 'linked@scenario.test';
        const leadId = await world.crmCreate('lead', {
          subject: 'Linked first',
          firstname: 'Lin',
          lastname: 'Ked',
          emailaddress1: email,
        });
        await world.pass();
        const lead = await world.linkedPerson('lead', leadId);
        assert.equal(lead.fields.personStatus, 'Open');
        const contactId = await world.crmQualifyLead(leadId);
        await world.pass();
        const person = await assertOnePerson(world, leadId, contactId, email);
        assert.equal(person.id, lead.id, "the lead's person keeps its id");
        await assertQuiet(world, email);
      }));
  });
}
