import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { useEmulator } from './sync-world.ts';

describe('engine: one-way entities and owners (B1.2, B1.3, B1.5)', () => {
  const emulator = useEmulator();

  test('B1.2 B1.3 accounts, users, teams, opportunities and custom entities are mirrored read-only; a contact customer gives its person a contact role', () =>
    emulator.run({}, async (world) => {
      const accountId = await world.crmCreate('account', { name: 'Fabrikam', accountnumber: 'FAB-1' });
      const contactId = await world.crmCreate('contact', {
        firstname: 'Opp',
        lastname: 'Person',
        emailaddress1: 'opp@scenario.test',
        'parentcustomerid_account@odata.bind': `/accounts(${accountId})`,
      });
      const contactOpportunity = await world.crmCreate('opportunity', {
        name: 'Contact deal',
        estimatedvalue: 5000,
        'customerid_contact@odata.bind': `/contacts(${contactId})`,
      });
      const accountOpportunity = await world.crmCreate('opportunity', {
        name: 'Account deal',
        'customerid_account@odata.bind': `/accounts(${accountId})`,
      });
      const subscriptionId = await world.crmCreate('new_subscription', {
        new_name: 'Pro plan',
        new_plan: 100000001,
        'new_ContactId@odata.bind': `/contacts(${contactId})`,
      });
      await world.pass();
      const store = world.testStore.store;
      const person = await world.linkedPerson('contact', contactId);

      assert.equal((await store.getMirrorRow('account', accountId))?.attributes.name, 'Fabrikam');
      const team = await store.getMirrorRow('team', emulatorFixtures.salesTeamId);
      assert.equal(typeof team?.attributes.name, 'string');
      const user = await store.getMirrorRow('systemuser', emulatorFixtures.salesUserIds[0]);
      assert.equal(typeof user?.attributes.fullname, 'string');
      const opportunity = await store.getMirrorRow('opportunity', contactOpportunity);
      assert.equal(opportunity?.attributes.name, 'Contact deal');
      assert.equal(opportunity?.attributes.estimatedvalue, 5000);
      const subscription = await store.getMirrorRow('new_subscription', subscriptionId);
      assert.equal(subscription?.attributes.new_name, 'Pro plan');
      assert.equal((subscription?.attributes.new_contactid as { id: string } | undefined)?.id, contactId);

      // B1.3: a contact customer → a contact role for its person; an account customer → the account only.
      const roles = await store.listOpportunityContactRoles({ opportunityId: contactOpportunity });
      assert.deepEqual(
        roles.map((role) => [role.contactId, role.personId]),
        [[contactId, person.id]],
      );
      assert.deepEqual(await store.listOpportunityContactRoles({ opportunityId: accountOpportunity }), []);
      assert.deepEqual(
        (await store.listOpportunityContactRoles({ personId: person.id })).map((role) => role.opportunityId),
        [contactOpportunity],
      );

      // CRM changes and deletes reach the mirror (tombstones, B3.6); nothing is ever written back (B1.2).
      await world.crmUpdate('opportunity', contactOpportunity, { name: 'Contact deal (won)' });
      await world.crmDelete('opportunity', accountOpportunity);
      await world.editPerson(person.id, { title: 'Buyer', company: 'Local name' });
      await world.pass();
      assert.equal(
        (await store.getMirrorRow('opportunity', contactOpportunity))?.attributes.name,
        'Contact deal (won)',
      );
      const tombstone = await store.getMirrorRow('opportunity', accountOpportunity);
      assert.equal(tombstone?.deleted, true);
      assert.equal(tombstone?.attributes.name, 'Account deal', 'the tombstone keeps the last values');
      const written = world.writes().map((operation) => operation.entity);
      assert.deepEqual(written, ['contact'], 'only the person’s own contact was written');
      assert.equal((await world.crmGet('account', accountId, ['name'])).name, 'Fabrikam');
    }));

  test('B1.5 owner fields come from a systemuser or a team; an owner change writes crm.owner-changed', () =>
    emulator.run({}, async (world) => {
      const teamId = emulatorFixtures.salesTeamId;
      const userId = emulatorFixtures.salesUserIds[1];
      const contactId = await world.crmCreate('contact', {
        firstname: 'Owned',
        lastname: 'By Team',
        emailaddress1: 'owned@scenario.test',
        'ownerid@odata.bind': `/teams(${teamId})`,
      });
      await world.pass();
      const team = (await world.crm('GET', `teams(${teamId})?$select=name`)).json;
      const user = (await world.crm('GET', `systemusers(${userId})?$select=fullname,internalemailaddress`))
        .json;
      const teamOwned = await world.linkedPerson('contact', contactId);
      assert.equal(teamOwned.fields.crmOwnerId, teamId);
      assert.equal(teamOwned.fields.crmOwnerName, team.name, 'team owners are supported (beyond)');
      assert.equal(teamOwned.fields.crmOwnerEmail, null, 'a team has no email of its own');

      await world.crmUpdate('contact', contactId, { 'ownerid@odata.bind': `/systemusers(${userId})` });
      await world.pass();
      const userOwned = await world.linkedPerson('contact', contactId);
      assert.equal(userOwned.fields.crmOwnerId, userId);
      assert.equal(userOwned.fields.crmOwnerName, user.fullname);
      assert.equal(userOwned.fields.crmOwnerEmail, user.internalemailaddress);
      const changed = (await world.activities(userOwned.id)).filter((a) => a.type === 'crm.owner-changed');
      assert.equal(changed.length, 1);
      assert.deepEqual(changed[0].attributes, { from: teamId, to: userId });
    }));
});
