import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import {
  errorOf,
  openEmulator,
  syncToken,
  type EmulatorContext,
  initialDeltaLink,
} from './emulator-test-context.ts';

const contactType = 'Microsoft.Dynamics.CRM.contact';

describe('emulator Merge (reference §10, B3.5)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'empty' });
  });
  after(() => ctx.close());

  const create = async (set: string, body: Record<string, unknown>): Promise<string> => {
    const created = await ctx.request('POST', set, { body });
    assert.equal(created.status, 204, created.text);
    return /\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid') ?? '')![1];
  };
  const ref = (entity: string, id: string) => ({
    [`${entity}id`]: id,
    '@odata.type': `Microsoft.Dynamics.CRM.${entity}`,
  });
  const mergeBody = (entity: string, target: string, subordinate: string, extra = {}) => ({
    Target: ref(entity, target),
    Subordinate: ref(entity, subordinate),
    UpdateContent: { '@odata.type': `Microsoft.Dynamics.CRM.${entity}` },
    PerformParentingChecks: false,
    ...extra,
  });

  test('B3.5: contacts — UpdateContent applied, blanks filled from the subordinate, children re-parented, subordinate deactivated', async () => {
    const master = await create('contacts', {
      firstname: 'Mia',
      lastname: 'Master',
      emailaddress1: 'mia@example.net',
      telephone1: '+1-555-0001',
    });
    const loser = await create('contacts', {
      firstname: 'Mina',
      lastname: 'Loser',
      emailaddress1: 'mina@example.net',
      jobtitle: 'Engineer',
      address1_city: 'Oslo',
    });
    const opportunity = await create('opportunities', {
      name: 'Deal',
      'customerid_contact@odata.bind': `/contacts(${loser})`,
      'parentcontactid@odata.bind': `/contacts(${loser})`,
    });
    const subscription = await create('new_subscriptions', {
      new_name: 'SUB-1',
      'new_ContactId@odata.bind': `/contacts(${loser})`,
    });
    const bystander = await create('contacts', { lastname: 'Bystander' });
    const delta = await initialDeltaLink(ctx, 'contacts', 'lastname,statecode,merged,_masterid_value');

    const merged = await ctx.request('POST', 'Merge', {
      body: mergeBody('contact', master, loser, {
        UpdateContent: { '@odata.type': contactType, emailaddress1: 'mia.new@example.net' },
      }),
    });
    assert.equal(merged.status, 204, merged.text);
    assert.equal(merged.text, '');

    const target = await ctx.request(
      'GET',
      `contacts(${master})?$select=lastname,emailaddress1,telephone1,jobtitle,address1_city,statecode,merged`,
    );
    assert.equal(target.json.emailaddress1, 'mia.new@example.net', 'UpdateContent wins');
    assert.equal(target.json.lastname, 'Master', 'the target keeps its own values');
    assert.equal(target.json.telephone1, '+1-555-0001');
    assert.equal(target.json.jobtitle, 'Engineer', 'an empty target column takes the subordinate value');
    assert.equal(target.json.address1_city, 'Oslo');
    assert.equal(target.json.statecode, 0);
    assert.equal(target.json.merged, false);

    const sub = await ctx.request(
      'GET',
      `contacts(${loser})?$select=lastname,statecode,statuscode,merged,_masterid_value`,
    );
    assert.equal(sub.status, 200, 'the subordinate is not deleted');
    assert.deepEqual(
      [sub.json.statecode, sub.json.statuscode, sub.json.merged, sub.json._masterid_value],
      [1, 2, true, master],
    );

    const opp = await ctx.request(
      'GET',
      `opportunities(${opportunity})?$select=_customerid_value,_parentcontactid_value`,
    );
    assert.equal(opp.json._customerid_value, master, 'the opportunity customer is re-parented');
    assert.equal(opp.json._parentcontactid_value, master);
    const sub2 = await ctx.request('GET', `new_subscriptions(${subscription})?$select=_new_contactid_value`);
    assert.equal(sub2.json._new_contactid_value, master, 'custom lookups are re-parented too');

    // Change tracking: the merge is updates of target and subordinate, never a $deletedEntity row.
    const changes = await ctx.request('GET', delta);
    const rows = changes.json.value as Record<string, unknown>[];
    assert.ok(
      rows.every((r) => r.reason !== 'deleted'),
      JSON.stringify(rows),
    );
    const subRow = rows.find((r) => r.contactid === loser);
    assert.deepEqual([subRow?.statecode, subRow?.merged, subRow?._masterid_value], [1, true, master]);
    assert.ok(
      rows.some((r) => r.contactid === master),
      'the target is updated',
    );
    assert.ok(!rows.some((r) => r.contactid === bystander), 'unrelated rows are untouched');
  });

  test('accounts: contacts of the merged account and its opportunities move to the target', async () => {
    const master = await create('accounts', { name: 'Acme' });
    const loser = await create('accounts', { name: 'Acme Inc (dup)', websiteurl: 'https://acme.example' });
    const employee = await create('contacts', {
      lastname: 'Employee',
      'parentcustomerid_account@odata.bind': `/accounts(${loser})`,
    });
    const deal = await create('opportunities', {
      name: 'Account deal',
      'customerid_account@odata.bind': `/accounts(${loser})`,
    });
    const merged = await ctx.request('POST', 'Merge', { body: mergeBody('account', master, loser) });
    assert.equal(merged.status, 204, merged.text);
    const contact = await ctx.request('GET', `contacts(${employee})?$select=_parentcustomerid_value`, {
      headers: { Prefer: 'odata.include-annotations="*"' },
    });
    assert.equal(contact.json._parentcustomerid_value, master);
    assert.equal(contact.json['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'account');
    const opportunity = await ctx.request('GET', `opportunities(${deal})?$select=_customerid_value`);
    assert.equal(opportunity.json._customerid_value, master);
    const target = await ctx.request('GET', `accounts(${master})?$select=name,websiteurl`);
    assert.deepEqual([target.json.name, target.json.websiteurl], ['Acme', 'https://acme.example']);
    const sub = await ctx.request('GET', `accounts(${loser})?$select=statecode,merged,_masterid_value`);
    assert.deepEqual([sub.json.statecode, sub.json.merged, sub.json._masterid_value], [1, true, master]);
  });

  test('leads: the subordinate is closed as Disqualified / Canceled with merged and masterid', async () => {
    const master = await create('leads', { lastname: 'Lead master', subject: 'A' });
    const loser = await create('leads', { lastname: 'Lead loser', subject: 'B', companyname: 'Dup Co' });
    const merged = await ctx.request('POST', 'Microsoft.Dynamics.CRM.Merge', {
      body: mergeBody('lead', master, loser),
    });
    assert.equal(merged.status, 204, merged.text);
    const sub = await ctx.request(
      'GET',
      `leads(${loser})?$select=statecode,statuscode,merged,_masterid_value`,
    );
    assert.deepEqual(
      [sub.json.statecode, sub.json.statuscode, sub.json.merged, sub.json._masterid_value],
      [2, 7, true, master],
    );
    const target = await ctx.request('GET', `leads(${master})?$select=companyname`);
    assert.equal(target.json.companyname, 'Dup Co');
  });

  test('errors: missing parameters, missing @odata.type, unsupported or mixed types, same record, inactive, unknown', async () => {
    const a = await create('contacts', { lastname: 'A' });
    const b = await create('contacts', { lastname: 'B' });
    const account = await create('accounts', { name: 'Other' });
    const expectError = async (body: unknown, status: number, pattern: RegExp) => {
      const response = await ctx.request('POST', 'Merge', { body });
      assert.equal(response.status, status, response.text);
      assert.match(errorOf(response).message, pattern);
      return errorOf(response);
    };
    const missing = await expectError(
      { Target: ref('contact', a) },
      400,
      /missing from the request payload\. The missing parameters are: Subordinate, PerformParentingChecks\./,
    );
    assert.equal(missing.code, '0x80048d19');
    await expectError(
      { ...mergeBody('contact', a, b), Target: { contactid: a } },
      400,
      /'Target' of the operation 'Merge' needs an '@odata\.type'/,
    );
    await expectError(
      mergeBody('opportunity', a, b),
      400,
      /This type: opportunity is not supported with merge operation/,
    );
    await expectError(
      { ...mergeBody('contact', a, b), Subordinate: ref('account', account) },
      400,
      /must be of the same entity type/,
    );
    await expectError(
      mergeBody('contact', a, a),
      400,
      /^Merge cannot be performed on master and sub-entities that are identical\.$/,
    );
    const unknown = await expectError(
      mergeBody('contact', a, '00000000-0000-4000-8000-00000000dead'),
      404,
      /contact With Id = 00000000-0000-4000-8000-00000000dead Does Not Exist/,
    );
    assert.equal(unknown.code, '0x80040217');
    await expectError({ ...mergeBody('contact', a, b), PerformParentingChecks: 'no' }, 400, /'Edm\.Boolean'/);
    await expectError(
      { ...mergeBody('contact', a, b), UpdateContent: { '@odata.type': contactType, bogus: 1 } },
      400,
      /Could not find a property named 'bogus'/,
    );
    const untouched = await ctx.request('GET', `contacts(${b})?$select=statecode,merged`);
    assert.deepEqual(
      [untouched.json.statecode, untouched.json.merged],
      [0, false],
      'failed merges change nothing',
    );

    assert.equal((await ctx.request('POST', 'Merge', { body: mergeBody('contact', a, b) })).status, 204);
    await expectError(mergeBody('contact', a, b), 400, new RegExp(`^sub-entity:contact-${b} is deactive$`));
    await expectError(
      mergeBody('contact', b, a),
      400,
      new RegExp(`^master entity:contact-${b} is deactive$`),
    );
    assert.equal((await ctx.request('GET', 'Merge')).status, 405);
  });

  test('PerformParentingChecks: differently parented records are refused; false merges them anyway', async () => {
    const one = await create('accounts', { name: 'Parent one' });
    const two = await create('accounts', { name: 'Parent two' });
    const a = await create('contacts', {
      lastname: 'Child A',
      'parentcustomerid_account@odata.bind': `/accounts(${one})`,
    });
    const b = await create('contacts', {
      lastname: 'Child B',
      'parentcustomerid_account@odata.bind': `/accounts(${two})`,
    });
    const checked = await ctx.request('POST', 'Merge', {
      body: mergeBody('contact', a, b, { PerformParentingChecks: true }),
    });
    assert.equal(checked.status, 400);
    assert.equal(errorOf(checked).message, 'Merge warning: sub-entity will be differently parented.');
    const unchecked = await ctx.request('POST', 'Merge', { body: mergeBody('contact', a, b) });
    assert.equal(unchecked.status, 204);
    const target = await ctx.request('GET', `contacts(${a})?$select=_parentcustomerid_value`);
    assert.equal(target.json._parentcustomerid_value, one, 'the target keeps its parent');
  });

  test('dynamics-web-api callAction runs the unbound Merge', async () => {
    const client = new DynamicsWebApi({
      serverUrl: ctx.emulator.url,
      dataApi: { version: '9.2' },
      onTokenRefresh: async () => syncToken,
    });
    const a = await create('contacts', { lastname: 'Dwa master' });
    const b = await create('contacts', { lastname: 'Dwa loser', jobtitle: 'Pilot' });
    await client.callAction({ actionName: 'Merge', action: mergeBody('contact', a, b) });
    const sub = await client.retrieve({
      collection: 'contacts',
      key: b,
      select: ['merged', '_masterid_value'],
    });
    assert.deepEqual([sub.merged, sub._masterid_value], [true, a]);
  });
});
