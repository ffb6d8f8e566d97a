import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator } from './sync-world.ts';

describe('engine: linking persons and CRM records (B2.6, B3)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`B2.6 B3.2 a contact created in the CRM becomes a person after one pass (${store})`, () =>
      emulator.run({ store }, async (world) => {
        await world.pass();
        const contactId = await world.crmCreate('contact', {
          firstname: 'Ada',
          lastname: 'Lovelace',
          emailaddress1: 'ada@scenario.test',
          jobtitle: 'Analyst',
          leadsourcecode: 8,
          donotemail: true,
        });
        const counts = await world.pass();
        const person = await world.linkedPerson('contact', contactId);
        assert.equal(person.fields.crmType, 'contact');
        assert.equal(person.fields.crmContactId, contactId);
        assert.equal(person.fields.firstName, 'Ada');
        assert.equal(person.fields.lastName, 'Lovelace');
        assert.equal(person.fields.email, 'ada@scenario.test');
        assert.equal(person.fields.title, 'Analyst');
        assert.equal(person.fields.leadSource, 'Web', 'option sets arrive as labels (B5.3)');
        assert.equal(person.fields.doNotEmail, true);
        assert.equal(counts['contact.fromCrm.created'], 1, JSON.stringify(counts));
        const types = (await world.activities(person.id)).map((activity) => activity.type);
        assert.ok(types.includes('crm.created-person'), types.join());
      }));
  }

  test('B3.2 a CRM lead whose email matches exactly one marketing-only person links to it (no duplicate)', () =>
    emulator.run({}, async (world) => {
      await world.pass();
      const { person: marketing } = await world.testStore.store.upsertPersonByEmail(
        { email: 'grace@scenario.test', firstName: 'Grace', title: 'Rear Admiral' },
        'api',
      );
      const leadId = await world.crmCreate('lead', {
        subject: 'Compilers',
        firstname: 'G.',
        lastname: 'Hopper',
        emailaddress1: 'GRACE@Scenario.test',
      });
      await world.pass();
      const linked = await world.linkedPerson('lead', leadId);
      assert.equal(linked.id, marketing.id, 'the existing person is linked, not a new one');
      const sameEmail = await world.testStore.store.listPersons({ email: 'grace@scenario.test', limit: 10 });
      assert.equal(sameEmail.items.length, 1, 'no duplicate person');
      assert.equal(linked.fields.crmType, 'lead');
      // First link: a blank side takes the other side's value; set differently on both → the lead rule (marketing).
      assert.equal(linked.fields.lastName, 'Hopper');
      assert.equal(linked.fields.topic, 'Compilers');
      assert.equal(linked.fields.firstName, 'Grace');
      const lead = await world.crmGet('lead', leadId, ['firstname', 'jobtitle', 'lastname']);
      assert.equal(lead.firstname, 'Grace', 'the marketing value wins the first-link collision for a lead');
      assert.equal(lead.jobtitle, 'Rear Admiral', 'a field blank in the CRM takes the marketing value');
      assert.equal(lead.lastname, 'Hopper');
    }));

  test('B3.2 a CRM contact whose email matches two marketing-only persons creates a new person', () =>
    emulator.run({}, async (world) => {
      await world.pass();
      const store = world.testStore.store;
      const first = await store.createPerson({ email: 'twin@scenario.test', firstName: 'One' }, 'api');
      const second = await store.createPerson({ email: 'twin@scenario.test', firstName: 'Two' }, 'api');
      const contactId = await world.crmCreate('contact', {
        firstname: 'Three',
        lastname: 'Twin',
        emailaddress1: 'twin@scenario.test',
      });
      await world.pass();
      const linked = await world.linkedPerson('contact', contactId);
      assert.notEqual(linked.id, first.id);
      assert.notEqual(linked.id, second.id);
      assert.equal(linked.fields.firstName, 'Three');
      const sameEmail = await store.listPersons({ email: 'twin@scenario.test', limit: 10 });
      assert.equal(sameEmail.items.length, 3);
      for (const person of [first, second]) {
        const unchanged = await store.getPerson(person.id);
        assert.equal(unchanged?.fields.crmType ?? null, null, 'the marketing-only persons stay unlinked');
      }
    }));

  test('B3.6 a CRM delete flags the person, writes crm.deleted, keeps the person and stops syncing it', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        firstname: 'Del',
        lastname: 'Eted',
        emailaddress1: 'deleted@scenario.test',
      });
      await world.pass();
      const person = await world.linkedPerson('contact', contactId);
      await world.crmDelete('contact', contactId);
      await world.pass();
      const kept = await world.testStore.store.getPerson(person.id);
      assert.ok(kept, 'the person is kept');
      assert.equal(kept.fields.crmIsDeleted, true);
      assert.equal(kept.fields.firstName, 'Del');
      const deleted = (await world.activities(person.id)).filter((a) => a.type === 'crm.deleted');
      assert.equal(deleted.length, 1);
      assert.equal(deleted[0].attributes.crmId, contactId);

      // No longer synced: a marketing edit is not pushed (nothing is written to the CRM).
      world.calls.length = 0;
      await world.editPerson(person.id, { title: 'Ghost' });
      await world.pass();
      assert.deepEqual(world.writes(), []);
      const again = (await world.activities(person.id)).filter((a) => a.type === 'crm.deleted');
      assert.equal(again.length, 1, 'the delete is recorded once');
    }));

  test('B3.6 deleting a person never touches the CRM; a later change of the record creates a new person', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        firstname: 'Gone',
        lastname: 'Local',
        emailaddress1: 'gone@scenario.test',
      });
      await world.pass();
      const person = await world.linkedPerson('contact', contactId);
      world.calls.length = 0;
      const version = await world.crmVersion();
      assert.equal(await world.testStore.store.deletePerson(person.id, 'api'), true);
      await world.pass();
      assert.deepEqual(world.writes(), []);
      assert.equal(await world.crmVersion(), version, 'the CRM record is untouched');
      assert.equal((await world.crmGet('contact', contactId, ['firstname'])).firstname, 'Gone');

      await world.crmUpdate('contact', contactId, { firstname: 'Back' });
      await world.pass();
      const recreated = await world.linkedPerson('contact', contactId);
      assert.notEqual(recreated.id, person.id);
      assert.equal(recreated.fields.firstName, 'Back');
    }));

  test('B2.6 the first pass announces the end of the initial load once, with its progress in the status', () =>
    emulator.run({ seed: { seed: 'demo', contacts: 5, leads: 3, accounts: 1 } }, async (world) => {
      await world.pass();
      await world.pass();
      const notifications = await world.testStore.store.listNotifications({ limit: 50 });
      const done = notifications.items.filter((item) => item.type === 'initial-load-done');
      assert.equal(done.length, 1, 'announced once');
      const status = await world.service.status();
      assert.equal(status.initialLoad.done, true);
      assert.ok(status.initialLoad.processed >= 8, JSON.stringify(status.initialLoad));
      assert.equal(status.passes.completed, 2);
    }));

  test('B3.7 sync filter true → false: a linked record stops receiving updates; false → true updates it', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        firstname: 'Filt',
        lastname: 'Ered',
        emailaddress1: 'filtered@scenario.test',
      });
      await world.pass();
      const person = await world.linkedPerson('contact', contactId);
      await world.crmUpdate('contact', contactId, { new_synctomkto: false, firstname: 'Hidden' });
      await world.pass();
      const stale = await world.testStore.store.getPerson(person.id);
      assert.equal(stale?.fields.firstName, 'Filt', 'stale, not updated');
      assert.notEqual(stale?.fields.crmIsDeleted, true, 'not deleted');
      world.calls.length = 0;
      await world.editPerson(person.id, { title: 'Not pushed' });
      await world.pass();
      assert.deepEqual(world.writes(), [], 'an excluded record receives no pushes either');

      await world.crmUpdate('contact', contactId, { new_synctomkto: true });
      await world.pass();
      const synced = await world.linkedPerson('contact', contactId);
      assert.equal(synced.id, person.id);
      assert.equal(synced.fields.firstName, 'Hidden', 'updated in the next pass');
    }));

  test('B3.7 sync filter false → true: an unlinked record is not created, then created in the next pass', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        firstname: 'Late',
        lastname: 'Comer',
        emailaddress1: 'late@scenario.test',
        new_synctomkto: false,
      });
      await world.pass();
      assert.equal(await world.personByCrmId('contact', contactId), undefined);
      const none = await world.testStore.store.listPersons({ email: 'late@scenario.test', limit: 10 });
      assert.equal(none.items.length, 0);
      await world.crmUpdate('contact', contactId, { new_synctomkto: true });
      await world.pass();
      const person = await world.linkedPerson('contact', contactId);
      assert.equal(person.fields.firstName, 'Late');
    }));
});
