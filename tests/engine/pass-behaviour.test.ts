import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useEmulator } from './sync-world.ts';

describe('engine: passes, qualify, types and pass failures (B2.7, B3.4, B5.3, B6.3)', () => {
  const emulator = useEmulator();

  test('B2.7 a backlog on one entity does not starve the others: entities take turns of bounded chunks', () =>
    emulator.run(
      {
        seed: { seed: 'demo', contacts: 24, leads: 4, accounts: 1 },
        settings: { pageSize: 2, maxPagesPerTurn: 2 },
      },
      async (world) => {
        const events: { entity: string; final: boolean }[] = [];
        world.service.engine.onProgress = (event) => events.push(event);
        await world.pass();
        const contactPages = events.filter((event) => event.entity === 'contact');
        const lastContactPage = events.lastIndexOf(contactPages.at(-1)!);
        const leadsDone = events.findIndex((event) => event.entity === 'lead' && event.final);
        assert.ok(contactPages.length >= 12, `contacts came in many pages: ${contactPages.length}`);
        assert.ok(
          leadsDone >= 0 && leadsDone < lastContactPage,
          'leads finished while contacts still had pages to read',
        );
        // No entity reads more than maxPagesPerTurn pages in a row while another still has pages.
        let run = 0;
        for (const [index, event] of events.entries()) {
          run = index > 0 && events[index - 1].entity === event.entity ? run + 1 : 1;
          const othersPending = events.slice(index + 1).some((later) => later.entity !== event.entity);
          if (othersPending) assert.ok(run <= 2, `${event.entity} read ${run} pages in a row`);
        }
      },
    ));

  test('B3.4 a lead qualified into a contact keeps its person, now a contact, with crm.converted', () =>
    emulator.run({}, async (world) => {
      const leadId = await world.crmCreate('lead', {
        subject: 'Qualify me',
        firstname: 'Quinn',
        lastname: 'Lead',
        emailaddress1: 'quinn@scenario.test',
      });
      await world.pass();
      const person = await world.linkedPerson('lead', leadId);
      // What QualifyLead does, written through the plain Web API: a contact originating from the lead, and
      // the lead set to Qualified.
      const contactId = await world.crmCreate('contact', {
        firstname: 'Quinn',
        lastname: 'Lead',
        emailaddress1: 'quinn@scenario.test',
        jobtitle: 'Customer now',
        'originatingleadid@odata.bind': `/leads(${leadId})`,
      });
      await world.crmUpdate('lead', leadId, { statecode: 1, statuscode: 3 });
      await world.pass();
      const converted = await world.linkedPerson('contact', contactId);
      assert.equal(converted.id, person.id, 'the same person');
      assert.equal(converted.fields.crmType, 'contact');
      assert.equal(converted.fields.crmContactId, contactId);
      assert.equal(converted.fields.title, 'Customer now');
      const persons = await world.testStore.store.listPersons({ email: 'quinn@scenario.test', limit: 10 });
      assert.equal(persons.items.length, 1, 'no second person');
      const activities = (await world.activities(person.id)).filter((a) => a.type === 'crm.converted');
      assert.equal(activities.length, 1);
      assert.deepEqual(activities[0].attributes, { leadId, contactId });

      // From now on the person syncs with the contact.
      await world.editPerson(person.id, { city: 'Leeds' });
      await world.pass();
      assert.equal((await world.crmGet('contact', contactId, ['address1_city'])).address1_city, 'Leeds');
    }));

  test('B5.3 B6.1 pushing an option label that is not in the option set is a record error, not a crash', () =>
    emulator.run({}, async (world) => {
      const [badId, goodId] = [
        await world.crmCreate('contact', { lastname: 'Bad', emailaddress1: 'bad@scenario.test' }),
        await world.crmCreate('contact', { lastname: 'Good', emailaddress1: 'good@scenario.test' }),
      ];
      await world.pass();
      const bad = await world.linkedPerson('contact', badId);
      const good = await world.linkedPerson('contact', goodId);
      await world.editPerson(bad.id, { leadSource: 'Carrier pigeon', title: 'Still pushed?' });
      await world.editPerson(good.id, { leadSource: 'Trade Show' });
      await world.pass();
      assert.equal((await world.crmGet('contact', goodId, ['leadsourcecode'])).leadsourcecode, 7);
      const crm = await world.crmGet('contact', badId, ['leadsourcecode']);
      assert.equal(crm.leadsourcecode, null);
      const errors = (await world.testStore.store.listSyncErrors({ limit: 10 })).items;
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0].crmId, badId);
      assert.match(errors[0].message, /Carrier pigeon/);
      const failed = (await world.activities(bad.id)).filter((a) => a.type === 'crm.sync-failed');
      assert.equal(failed.length, 1);
      assert.equal((await world.testStore.store.getPerson(bad.id))?.fields.leadSource, 'Carrier pigeon');
    }));

  test('B6.3 a pass-level failure (the CRM refuses the credentials) marks the pass failed with a clear message and a notification', () =>
    emulator.run({ token: 'not-a-valid-token' }, async (world) => {
      const outcome = await world.service.engine.runOnce('test');
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.error ?? '', /auth|401|credential|token/i);
      assert.doesNotMatch(outcome.error ?? '', /not-a-valid-token/, 'the token never appears');
      const status = await world.service.status();
      assert.equal(status.state, 'failed');
      assert.equal(status.passes.lastError, outcome.error);
      const notifications = await world.testStore.store.listNotifications({ limit: 10 });
      assert.ok(notifications.items.some((item) => item.type === 'pass-failed'));
      const persons = await world.testStore.store.listPersons({ limit: 10 });
      assert.deepEqual(persons.items, []);
    }));
});
