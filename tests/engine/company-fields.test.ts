import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useEmulator } from './sync-world.ts';

describe('engine: company fields from the account (B1.4)', () => {
  const emulator = useEmulator();

  test('B1.4 an account change reaches its contacts’ persons; a marketing company edit is never pushed and is overwritten by the next CRM change', () =>
    emulator.run({}, async (world) => {
      const accountId = await world.crmCreate('account', {
        name: 'Contoso',
        address1_city: 'Redmond',
        websiteurl: 'https://contoso.example',
        telephone1: '+1 425 0000',
        numberofemployees: 120,
        industrycode: 1,
      });
      const [firstId, secondId] = await Promise.all(
        ['one', 'two'].map((name) =>
          world.crmCreate('contact', {
            firstname: name,
            lastname: 'Employee',
            emailaddress1: `${name}@contoso.example`,
            'parentcustomerid_account@odata.bind': `/accounts(${accountId})`,
          }),
        ),
      );
      await world.pass();
      const first = await world.linkedPerson('contact', firstId);
      assert.equal(first.fields.crmAccountId, accountId);
      assert.equal(first.fields.company, 'Contoso');
      assert.equal(first.fields.billingCity, 'Redmond');
      assert.equal(first.fields.website, 'https://contoso.example');
      assert.equal(first.fields.numberOfEmployees, 120);
      assert.equal(typeof first.fields.industry, 'string', 'the industry arrives as its label');

      // An account change in the CRM → the company fields of every person of the account.
      await world.crmUpdate('account', accountId, { name: 'Contoso Ltd', address1_city: 'Seattle' });
      await world.pass();
      for (const id of [firstId, secondId]) {
        const person = await world.linkedPerson('contact', id);
        assert.equal(person.fields.company, 'Contoso Ltd');
        assert.equal(person.fields.billingCity, 'Seattle');
        const changes = (await world.activities(person.id)).filter((a) => a.type === 'data-value-changed');
        assert.ok(
          changes.some((a) => a.attributes.field === 'company' && a.attributes.newValue === 'Contoso Ltd'),
          'a data-value-changed activity per person',
        );
      }

      // A marketing edit of a company field: all persons of the account see it, the CRM never does.
      world.calls.length = 0;
      const versionBefore = await world.crmVersion();
      await world.editPerson(first.id, { company: 'Marketing Co', billingCity: 'Porto' });
      await world.pass();
      const account = await world.crmGet('account', accountId, ['name', 'address1_city']);
      assert.equal(account.name, 'Contoso Ltd', 'the CRM account is unchanged');
      assert.equal(account.address1_city, 'Seattle');
      assert.equal(await world.crmVersion(), versionBefore, 'nothing was written to the CRM');
      assert.deepEqual(world.writes(), []);
      const mirror = await world.testStore.store.getMirrorRow('account', accountId);
      assert.equal(mirror?.attributes.name, 'Marketing Co', 'the account mirror row took the edit');
      const second = await world.linkedPerson('contact', secondId);
      assert.equal(second.fields.company, 'Marketing Co', 'every person of the account sees it');
      assert.equal(second.fields.billingCity, 'Porto');

      // The next CRM change of the account (another field) overwrites the marketing edit.
      await world.crmUpdate('account', accountId, { telephone1: '+1 425 9999' });
      await world.pass();
      for (const id of [firstId, secondId]) {
        const person = await world.linkedPerson('contact', id);
        assert.equal(person.fields.company, 'Contoso Ltd');
        assert.equal(person.fields.billingCity, 'Seattle');
        assert.equal(person.fields.mainPhone, '+1 425 9999');
      }
      assert.deepEqual(world.writes(), [], 'still nothing written to the CRM');
    }));

  test('B1.4 an account with more contacts than the activity limit updates its persons without per-person activities', () =>
    emulator.run({ settings: { accountActivityLimit: 1 } }, async (world) => {
      const accountId = await world.crmCreate('account', { name: 'Big Corp' });
      const ids = await Promise.all(
        ['big1', 'big2'].map((name) =>
          world.crmCreate('contact', {
            lastname: name,
            emailaddress1: `${name}@bigcorp.example`,
            'parentcustomerid_account@odata.bind': `/accounts(${accountId})`,
          }),
        ),
      );
      await world.pass();
      await world.crmUpdate('account', accountId, { name: 'Bigger Corp' });
      await world.pass();
      for (const id of ids) {
        const person = await world.linkedPerson('contact', id);
        assert.equal(person.fields.company, 'Bigger Corp');
        const changes = (await world.activities(person.id)).filter((a) => a.type === 'data-value-changed');
        assert.deepEqual(changes, [], 'no per-person activity above the limit');
      }
    }));

  test('B1.4 a lead’s company is its own two-way field: a marketing edit is pushed to the lead', () =>
    emulator.run({}, async (world) => {
      const leadId = await world.crmCreate('lead', {
        subject: 'Deal',
        lastname: 'Prospect',
        companyname: 'Old Name',
        emailaddress1: 'prospect@scenario.test',
      });
      await world.pass();
      const person = await world.linkedPerson('lead', leadId);
      assert.equal(person.fields.company, 'Old Name');
      await world.editPerson(person.id, { company: 'New Name' });
      await world.pass();
      assert.equal((await world.crmGet('lead', leadId, ['companyname'])).companyname, 'New Name');
    }));
});
