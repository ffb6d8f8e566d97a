import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useEmulator } from './sync-world.ts';

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
      const qualified = await world.crm('POST', `leads(${leadId})/Microsoft.Dynamics.CRM.QualifyLead`, {
        CreateAccount: false,
        CreateContact: true,
        CreateOpportunity: false,
        Status: 3,
      });
      assert.equal(qualified.status, 200, JSON.stringify(qualified.json));
      const contact = qualified.json.value.find(
        (row: any) => row['@odata.type'] === '#Microsoft.Dynamics.CRM.contact',
      );
      assert.ok(contact, 'QualifyLead created a contact');
      await world.pass();
      const after = await world.linkedPerson('contact', contact.contactid);
      assert.equal(after.id, person.id, 'the person keeps its id');
      assert.equal(after.fields.crmType, 'contact');
      assert.equal(after.fields.crmContactId, contact.contactid);
      assert.equal(after.fields.title, 'Buyer');
      const sameEmail = await world.testStore.store.listPersons({ email: 'quade@scenario.test', limit: 10 });
      assert.equal(sameEmail.items.length, 1, 'no second person for the contact');
      const activities = await world.activities(person.id);
      assert.ok(activities.some((activity) => activity.type === 'crm.converted'));
      // The person now syncs with the contact (B1.1): a marketing edit reaches the contact, not the lead.
      await world.editPerson(person.id, { title: 'Head of Buying' });
      await world.pass();
      assert.equal(
        (await world.crmGet('contact', contact.contactid, ['jobtitle'])).jobtitle,
        'Head of Buying',
      );
      assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Buyer');
    }));
});
