import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emulatorFixtures as f } from '../../src/emulator/emulator-fixtures.ts';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

const isoNoMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('emulator records (reference §3)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator();
  });
  after(() => ctx.close());

  test('create → 204 + OData-EntityId; retrieve with $select; dates without milliseconds; weak ETag', async () => {
    const created = await ctx.request('POST', 'contacts', {
      body: { firstname: 'Ada', lastname: 'Lovelace', emailaddress1: 'ada@example.net' },
    });
    assert.equal(created.status, 204);
    assert.equal(created.headers.get('odata-version'), '4.0');
    const id = /contacts\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1];
    assert.ok(id, 'OData-EntityId ends in (<guid>)');
    assert.ok(created.headers.get('odata-entityid')!.startsWith(ctx.api), 'built on the request origin');
    const got = await ctx.request('GET', `contacts(${id})?$select=fullname,createdon,_ownerid_value`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/json; odata.metadata=minimal');
    assert.equal(got.json.fullname, 'Ada Lovelace');
    assert.equal(got.json.contactid, id);
    assert.match(got.json.createdon, isoNoMs);
    assert.match(got.json['@odata.etag'], /^W\/"\d+"$/);
    assert.equal(got.headers.get('etag'), got.json['@odata.etag']);
    assert.equal(got.json._ownerid_value, f.syncUserId, 'owner defaults to the caller');
    assert.equal(
      got.json['@odata.context'],
      `${ctx.api}$metadata#contacts(fullname,createdon,_ownerid_value)/$entity`,
    );
  });

  test('create with return=representation → 201, client-supplied id honoured, duplicate id → 412', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    const created = await ctx.request('POST', 'contacts?$select=lastname', {
      body: { contactid: id, lastname: 'Babbage' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('preference-applied'), 'return=representation');
    assert.equal(created.json.contactid, id);
    assert.equal(created.json.lastname, 'Babbage');
    const again = await ctx.request('POST', 'contacts', { body: { contactid: id, lastname: 'Again' } });
    assert.equal(again.status, 412);
    assert.equal(errorOf(again).code, '0x80040237');
  });

  test('update with If-Match: stale ETag → 412 with the documented message; current ETag → 204', async () => {
    const created = await ctx.request('POST', 'leads?$select=subject', {
      body: { subject: 'Topic', lastname: 'L' },
      headers: { Prefer: 'return=representation' },
    });
    const id = created.json.leadid;
    const etag = created.json['@odata.etag'];
    const ok = await ctx.request('PATCH', `leads(${id})`, {
      body: { subject: 'Changed' },
      headers: { 'If-Match': etag },
    });
    assert.equal(ok.status, 204);
    const stale = await ctx.request('PATCH', `leads(${id})`, {
      body: { subject: 'Again' },
      headers: { 'If-Match': etag },
    });
    assert.equal(stale.status, 412);
    assert.deepEqual(errorOf(stale), {
      code: '0x80060882',
      message: "The version of the existing record doesn't match the RowVersion property provided.",
    });
    const missing = await ctx.request('PATCH', `leads(00000000-0000-4000-8000-000000000009)`, {
      body: { subject: 'x' },
      headers: { 'If-Match': '*' },
    });
    assert.equal(missing.status, 404);
    assert.deepEqual(errorOf(missing), {
      code: '0x80040217',
      message: 'lead With Id = 00000000-0000-4000-8000-000000000009 Does Not Exist',
    });
  });

  test('upsert by id and by alternate key; If-None-Match: * on an existing row → 412', async () => {
    const id = '22222222-2222-4333-8444-555555555555';
    const create = await ctx.request('PATCH', `contacts(${id})?$select=lastname`, {
      body: { lastname: 'Upsert' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(create.status, 201);
    const update = await ctx.request('PATCH', `contacts(${id})?$select=lastname`, {
      body: { lastname: 'Upserted' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(update.status, 200);
    assert.equal(update.json.lastname, 'Upserted');
    const byKey = await ctx.request('PATCH', `contacts(new_externalid='EXT-Key-1')`, {
      body: { lastname: 'Keyed' },
    });
    assert.equal(byKey.status, 204);
    assert.equal(byKey.headers.get('odata-entityid'), `${ctx.api}contacts(new_externalid='EXT-Key-1')`);
    const found = await ctx.request(
      'GET',
      `contacts(new_externalid='ext-key-1')?$select=lastname,new_externalid`,
    );
    assert.equal(found.json.lastname, 'Keyed', 'alternate keys match case-insensitively');
    assert.equal(found.json.new_externalid, 'EXT-Key-1', 'the key value is copied from the URL on create');
    const prevent = await ctx.request('PATCH', `contacts(${id})`, {
      body: { lastname: 'x' },
      headers: { 'If-None-Match': '*' },
    });
    assert.equal(prevent.status, 412);
    assert.equal(errorOf(prevent).message, 'A record with matching key values already exists.');
    const dupKey = await ctx.request('POST', 'contacts', {
      body: { lastname: 'Dup', new_externalid: 'ext-KEY-1' },
    });
    assert.equal(dupKey.status, 412, 'the alternate key is unique');
    assert.equal(errorOf(dupKey).code, '0x80040237');
  });

  test('B3.2: several contacts and leads may share an email (no alternate key on emailaddress1)', async () => {
    for (const set of ['contacts', 'contacts', 'leads', 'leads']) {
      const created = await ctx.request('POST', set, {
        body: { lastname: 'Shared', emailaddress1: 'shared@example.net' },
      });
      assert.equal(created.status, 204, created.text);
    }
    const contacts = await ctx.request(
      'GET',
      `contacts?$select=contactid&$filter=emailaddress1 eq 'shared@example.net'`,
    );
    assert.equal(contacts.json.value.length, 2);
    const leads = await ctx.request(
      'GET',
      `leads?$select=leadid&$filter=emailaddress1 eq 'shared@example.net'`,
    );
    assert.equal(leads.json.value.length, 2);
    const byEmail = await ctx.request('PATCH', `contacts(emailaddress1='shared@example.net')`, {
      body: { lastname: 'x' },
    });
    assert.equal(byEmail.status, 400, 'emailaddress1 is not a key');
    assert.match(errorOf(byEmail).message, /is not an alternate key of 'contact'.*new_externalid/);
  });

  test('upsert by alternate key on leads (new_externalid) and accounts (accountnumber)', async () => {
    const lead = await ctx.request('PATCH', `leads(new_externalid='L-77')?$select=lastname,new_externalid`, {
      body: { lastname: 'Keyed lead' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(lead.status, 201, lead.text);
    assert.equal(lead.json.new_externalid, 'L-77');
    const again = await ctx.request('PATCH', `leads(new_externalid='L-77')?$select=lastname`, {
      body: { lastname: 'Keyed lead 2' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(again.status, 200);
    assert.equal(again.json.leadid, lead.json.leadid, 'the same lead was updated');
    const account = await ctx.request('PATCH', `accounts(accountnumber='ACC-X-1')?$select=name`, {
      body: { name: 'Keyed account' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(account.status, 201);
    const updated = await ctx.request('PATCH', `accounts(accountnumber='acc-x-1')?$select=name`, {
      body: { name: 'Keyed account 2' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.accountid, account.json.accountid);
  });

  test('delete → 204, then 404; delete with stale ETag → 412', async () => {
    const created = await ctx.request('POST', 'accounts?$select=name', {
      body: { name: 'Gone Inc' },
      headers: { Prefer: 'return=representation' },
    });
    const id = created.json.accountid;
    await ctx.request('PATCH', `accounts(${id})`, {
      body: { name: 'Gone Inc 2' },
      headers: { 'If-Match': '*' },
    });
    const stale = await ctx.request('DELETE', `accounts(${id})`, {
      headers: { 'If-Match': created.json['@odata.etag'] },
    });
    assert.equal(stale.status, 412);
    assert.equal((await ctx.request('DELETE', `accounts(${id})`)).status, 204);
    const again = await ctx.request('DELETE', `accounts(${id})`);
    assert.equal(again.status, 404);
    assert.equal(errorOf(again).code, '0x80040217');
  });

  test('@odata.bind: polymorphic customer, owner to a team, clearing with null; lookup annotations (reference §1.4)', async () => {
    const account = await ctx.request('POST', 'accounts?$select=name', {
      body: { name: 'Bound Ltd' },
      headers: { Prefer: 'return=representation' },
    });
    const contact = await ctx.request('POST', 'contacts?$select=lastname', {
      body: {
        lastname: 'Bound',
        'parentcustomerid_account@odata.bind': `/accounts(${account.json.accountid})`,
        'ownerid@odata.bind': `${ctx.api}teams(${f.salesTeamId})`,
      },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(contact.status, 201);
    const id = contact.json.contactid;
    const got = await ctx.request('GET', `contacts(${id})?$select=_parentcustomerid_value,_ownerid_value`, {
      headers: { Prefer: 'odata.include-annotations="*"' },
    });
    assert.equal(got.json._parentcustomerid_value, account.json.accountid);
    assert.equal(got.json['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'account');
    assert.equal(
      got.json['_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty'],
      'parentcustomerid_account',
    );
    assert.equal(got.json['_parentcustomerid_value@OData.Community.Display.V1.FormattedValue'], 'Bound Ltd');
    assert.equal(got.json['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'team');
    assert.equal(got.json['_ownerid_value@OData.Community.Display.V1.FormattedValue'], 'Sales Team');
    const keys = Object.keys(got.json);
    assert.ok(
      keys.indexOf('_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname') <
        keys.indexOf('_ownerid_value'),
      'annotations precede the value',
    );
    const cleared = await ctx.request('PATCH', `contacts(${id})`, {
      body: { 'parentcustomerid_account@odata.bind': null },
      headers: { 'If-Match': '*' },
    });
    assert.equal(cleared.status, 204);
    const after = await ctx.request('GET', `contacts(${id})?$select=_parentcustomerid_value`);
    assert.equal(after.json._parentcustomerid_value, null);
    const dangling = await ctx.request('POST', 'contacts', {
      body: {
        lastname: 'x',
        'parentcustomerid_account@odata.bind': '/accounts(00000000-0000-4000-8000-00000000abcd)',
      },
    });
    assert.equal(dangling.status, 404);
  });

  test('formatted values for option sets, booleans, money and dates', async () => {
    const created = await ctx.request(
      'POST',
      'accounts?$select=revenue,industrycode,creditonhold,createdon',
      {
        body: { name: 'Fmt', revenue: 20000, industrycode: 7, creditonhold: true },
        headers: {
          Prefer:
            'return=representation,odata.include-annotations="OData.Community.Display.V1.FormattedValue"',
        },
      },
    );
    assert.equal(created.json['revenue@OData.Community.Display.V1.FormattedValue'], '$20,000.00');
    assert.match(created.text, /"revenue":20000\.0000/);
    assert.equal(created.json['industrycode@OData.Community.Display.V1.FormattedValue'], 'Consulting');
    assert.equal(created.json['creditonhold@OData.Community.Display.V1.FormattedValue'], 'Yes');
    assert.match(
      created.json['createdon@OData.Community.Display.V1.FormattedValue'],
      /^\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2} (AM|PM)$/,
    );
    assert.ok(created.json._transactioncurrencyid_value, 'selecting money returns the currency lookup');
  });

  test('validation errors carry the documented codes and messages (reference §5)', async () => {
    const long = await ctx.request('POST', 'tasks', { body: { subject: 'x'.repeat(201) } });
    assert.equal(long.status, 400);
    assert.deepEqual(errorOf(long), {
      code: '0x80044331',
      message:
        "A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'.",
    });
    const option = await ctx.request('POST', 'leads', { body: { lastname: 'x', leadqualitycode: 5 } });
    assert.equal(option.status, 400);
    assert.deepEqual(errorOf(option), {
      code: '0x8004431A',
      message:
        "A validation error occurred. The value 5 of 'leadqualitycode' on record of type 'lead' is outside the valid range. Accepted Values: 1,2,3",
    });
    const unknown = await ctx.request('POST', 'contacts', { body: { lastname: 'x', bogus: 1 } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(errorOf(unknown), {
      code: '0x80060888',
      message: "Could not find a property named 'bogus' on type 'Microsoft.Dynamics.CRM.contact'.",
    });
    const required = await ctx.request('POST', 'new_subscriptions', { body: { new_plan: 100000000 } });
    assert.equal(required.status, 400);
    assert.equal(errorOf(required).code, '0x80040200');
    const wrongType = await ctx.request('POST', 'contacts', { body: { lastname: 42 } });
    assert.equal(wrongType.status, 400);
    assert.equal(errorOf(wrongType).code, '0x80048d19');
  });

  test('malformed JSON → 400 in Dataverse error shape, never a 500', async () => {
    const bad = await ctx.request('POST', 'contacts', { body: '{"lastname": ' });
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad).code, '0x80048d19');
    assert.match(errorOf(bad).message, /Invalid JSON/);
    const array = await ctx.request('POST', 'contacts', { body: '[1,2]' });
    assert.equal(array.status, 400);
  });

  test('unknown entity set → 404 "Resource not found for the segment"', async () => {
    const response = await ctx.request('GET', 'widgets');
    assert.equal(response.status, 404);
    assert.deepEqual(errorOf(response), {
      code: '0x80060888',
      message: "Resource not found for the segment 'widgets'.",
    });
  });

  test('single property GET/PUT/DELETE', async () => {
    const created = await ctx.request('POST', 'contacts?$select=lastname', {
      body: { lastname: 'Prop', jobtitle: 'CEO' },
      headers: { Prefer: 'return=representation' },
    });
    const id = created.json.contactid;
    assert.equal((await ctx.request('GET', `contacts(${id})/jobtitle`)).json.value, 'CEO');
    assert.equal(
      (await ctx.request('PUT', `contacts(${id})/jobtitle`, { body: { value: 'CTO' } })).status,
      204,
    );
    assert.equal((await ctx.request('GET', `contacts(${id})/jobtitle`)).json.value, 'CTO');
    assert.equal((await ctx.request('DELETE', `contacts(${id})/jobtitle`)).status, 204);
    assert.equal((await ctx.request('GET', `contacts(${id})/jobtitle`)).json.value, null);
  });

  test('conditional GET: If-None-Match with the current ETag → 304', async () => {
    const created = await ctx.request('POST', 'contacts?$select=lastname', {
      body: { lastname: 'Cond' },
      headers: { Prefer: 'return=representation' },
    });
    const same = await ctx.request('GET', `contacts(${created.json.contactid})`, {
      headers: { 'If-None-Match': created.json['@odata.etag'] },
    });
    assert.equal(same.status, 304);
    const nullHeader = await ctx.request('GET', `contacts(${created.json.contactid})?$select=lastname`, {
      headers: { 'If-None-Match': 'null' },
    });
    assert.equal(nullHeader.status, 200, 'If-None-Match: null is no condition');
  });

  test('field-level security: the sync user reads new_creditscore as null and cannot write it (403 0x8004f507); the admin can', async () => {
    const admin = await ctx.request('POST', 'contacts?$select=new_creditscore', {
      body: { lastname: 'Secure', new_creditscore: 700 },
      headers: { Prefer: 'return=representation' },
      token: adminToken,
    });
    assert.equal(admin.status, 201);
    assert.equal(admin.json.new_creditscore, 700);
    const id = admin.json.contactid;
    const asSync = await ctx.request('GET', `contacts(${id})?$select=new_creditscore`);
    assert.equal(asSync.json.new_creditscore, null);
    const write = await ctx.request('PATCH', `contacts(${id})`, {
      body: { new_creditscore: 500 },
      headers: { 'If-Match': '*' },
    });
    assert.equal(write.status, 403);
    assert.equal(errorOf(write).code, '0x8004f507');
    assert.match(
      errorOf(write).message,
      new RegExp(
        `^Caller user with Id ${f.syncUserId} does not have update permissions to a Credit Score secured field on entity Contact`,
      ),
    );
    const filtered = await ctx.request('GET', `contacts?$select=lastname&$filter=new_creditscore eq 700`);
    assert.equal(filtered.json.value.length, 0, 'secured values are invisible to filters too');
    const fieldPermissions = await ctx.request('GET', 'fieldpermissions');
    assert.equal(fieldPermissions.status, 403);
    assert.equal(errorOf(fieldPermissions).code, '0x80040220');
    const asAdmin = await ctx.request(
      'GET',
      `fieldpermissions?$filter=attributelogicalname eq 'new_creditscore'&$select=canread,_fieldsecurityprofileid_value`,
      { token: adminToken },
    );
    assert.equal(asAdmin.status, 200);
    assert.equal(asAdmin.json.value.length, 2);
  });

  test('modifiedby is the caller', async () => {
    const created = await ctx.request('POST', 'contacts?$select=lastname', {
      body: { lastname: 'Who' },
      headers: { Prefer: 'return=representation' },
    });
    await ctx.request('PATCH', `contacts(${created.json.contactid})`, {
      body: { jobtitle: 'x' },
      headers: { 'If-Match': '*' },
      token: adminToken,
    });
    const got = await ctx.request(
      'GET',
      `contacts(${created.json.contactid})?$select=_modifiedby_value,_createdby_value`,
    );
    assert.equal(got.json._modifiedby_value, f.adminUserId);
    assert.equal(got.json._createdby_value, f.syncUserId);
  });
});
