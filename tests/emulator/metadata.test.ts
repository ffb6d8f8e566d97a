import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emulatorFixtures as f } from '../../src/emulator/emulator-fixtures.ts';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

/** interfaces.md §6: attributes the default mapping reads, and their types. */
const mapped: Record<string, [string, string][]> = {
  contact: [
    ['firstname', 'String'],
    ['emailaddress1', 'String'],
    ['leadsourcecode', 'Picklist'],
    ['statecode', 'State'],
    ['statuscode', 'Status'],
    ['donotbulkemail', 'Boolean'],
    ['preferredcontactmethodcode', 'Picklist'],
    ['description', 'Memo'],
    ['address1_postalcode', 'String'],
    ['new_synctomkto', 'Boolean'],
    ['new_tier', 'Picklist'],
    ['new_creditscore', 'Integer'],
    ['parentcustomerid', 'Customer'],
    ['ownerid', 'Owner'],
  ],
  lead: [
    ['subject', 'String'],
    ['companyname', 'String'],
    ['revenue', 'Money'],
    ['leadqualitycode', 'Picklist'],
    ['donotsendmm', 'Boolean'],
    ['new_synctomkto', 'Boolean'],
    ['new_tier', 'Picklist'],
  ],
  account: [
    ['name', 'String'],
    ['revenue', 'Money'],
    ['industrycode', 'Picklist'],
    ['sic', 'String'],
    ['websiteurl', 'String'],
    ['numberofemployees', 'Integer'],
    ['accountnumber', 'String'],
    ['telephone1', 'String'],
  ],
};

describe('emulator metadata, identities and control API (reference §7–9, interfaces.md §7)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 5, accounts: 2, leads: 2 });
  });
  after(() => ctx.close());

  test('EntityDefinitions: single with $select, collection', async () => {
    const one = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='contact')?$select=LogicalName,EntitySetName,PrimaryIdAttribute,ChangeTrackingEnabled,IsOptimisticConcurrencyEnabled",
    );
    assert.equal(one.status, 200);
    assert.equal(one.json.EntitySetName, 'contacts');
    assert.equal(one.json.PrimaryIdAttribute, 'contactid');
    assert.equal(one.json.ChangeTrackingEnabled, true);
    assert.equal(one.json.IsOptimisticConcurrencyEnabled, true);
    assert.ok(one.json.MetadataId);
    const all = await ctx.request('GET', 'EntityDefinitions?$select=LogicalName,EntitySetName');
    const names = all.json.value.map((e: any) => e.LogicalName);
    for (const name of [
      'lead',
      'contact',
      'account',
      'systemuser',
      'team',
      'opportunity',
      'task',
      'new_subscription',
      'fieldsecurityprofile',
      'fieldpermission',
      'serviceendpoint',
      'sdkmessageprocessingstep',
      'sdkmessage',
      'sdkmessagefilter',
    ]) {
      assert.ok(names.includes(name), name);
    }
  });

  test('every attribute of the default mapping exists with the right type (interfaces.md §6)', async () => {
    for (const [entity, attributes] of Object.entries(mapped)) {
      const response = await ctx.request(
        'GET',
        `EntityDefinitions(LogicalName='${entity}')/Attributes?$select=LogicalName,AttributeType,IsSecured,IsValidForCreate,RequiredLevel`,
      );
      const byName = new Map(response.json.value.map((a: any) => [a.LogicalName, a]));
      for (const [name, type] of attributes)
        assert.equal((byName.get(name) as any)?.AttributeType, type, `${entity}.${name}`);
    }
    const secured = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_creditscore')?$select=IsSecured",
    );
    assert.equal(secured.json.IsSecured, true);
  });

  test('attribute casts: String MaxLength, Picklist with $expand=OptionSet labels; $select of a cast-only property without the cast fails', async () => {
    const strings = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,MaxLength",
    );
    const email = strings.json.value.find((a: any) => a.LogicalName === 'emailaddress1');
    assert.equal(email.MaxLength, 100);
    assert.equal(email['@odata.type'], '#Microsoft.Dynamics.CRM.StringAttributeMetadata');
    const picklists = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)",
    );
    const rating = picklists.json.value.find((a: any) => a.LogicalName === 'leadqualitycode');
    assert.deepEqual(
      rating.OptionSet.Options.map((o: any) => [o.Value, o.Label.UserLocalizedLabel.Label]),
      [
        [1, 'Hot'],
        [2, 'Warm'],
        [3, 'Cold'],
      ],
    );
    assert.equal(rating.GlobalOptionSet, null);
    const states = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='statuscode')/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$expand=OptionSet",
    );
    assert.equal(states.json.OptionSet.Options.find((o: any) => o.Value === 3).State, 1);
    const wrong = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Attributes?$select=MaxLength",
    );
    assert.equal(wrong.status, 400);
    assert.equal(
      errorOf(wrong).message,
      "Could not find a property named 'MaxLength' on type 'Microsoft.Dynamics.CRM.AttributeMetadata'.",
    );
    const filtered = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Attributes?$select=LogicalName&$filter=IsSecured eq true",
    );
    assert.deepEqual(
      filtered.json.value.map((a: any) => a.LogicalName),
      ['new_creditscore'],
    );
  });

  test('$metadata CSDL and the service document', async () => {
    const csdl = await ctx.request('GET', '$metadata?annotations=true', {
      headers: { Accept: 'application/xml' },
    });
    assert.equal(csdl.status, 200);
    assert.match(csdl.headers.get('content-type') ?? '', /application\/xml/);
    assert.match(csdl.text, /<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm"/);
    assert.match(
      csdl.text,
      /<EntityType Name="contact" BaseType="mscrm.crmbaseentity"><Key><PropertyRef Name="contactid"\/><\/Key>/,
    );
    assert.match(csdl.text, /<Property Name="_parentcustomerid_value" Type="Edm.Guid"/);
    assert.match(
      csdl.text,
      /<NavigationProperty Name="parentcustomerid_account" Type="mscrm.account"[^>]*><ReferentialConstraint Property="_parentcustomerid_value" ReferencedProperty="accountid"\/>/,
    );
    assert.match(
      csdl.text,
      /<EntitySet Name="contacts" EntityType="Microsoft.Dynamics.CRM.contact"><Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record><PropertyValue Property="Supported" Bool="true"\/>/,
    );
    const service = await ctx.request('GET', '');
    assert.ok(
      service.json.value.some(
        (s: any) => s.name === 'accounts' && s.kind === 'EntitySet' && s.url === 'accounts',
      ),
    );
  });

  test('WhoAmI answers per token; RetrievePrincipalAttributePrivileges reports the sync user cannot read new_creditscore', async () => {
    const sync = await ctx.request('GET', 'WhoAmI()');
    assert.equal(sync.json.UserId, f.syncUserId);
    assert.equal(sync.json['@odata.context'], `${ctx.api}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`);
    assert.equal((await ctx.request('GET', 'WhoAmI()', { token: adminToken })).json.UserId, f.adminUserId);
    const attributes = await ctx.request(
      'GET',
      "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_creditscore')?$select=LogicalName",
    );
    const privileges = await ctx.request(
      'GET',
      `systemusers(${f.syncUserId})/Microsoft.Dynamics.CRM.RetrievePrincipalAttributePrivileges()`,
    );
    assert.equal(privileges.status, 200);
    assert.deepEqual(privileges.json.AttributePrivileges, [
      { AttributeId: attributes.json.MetadataId, CanCreate: 0, CanRead: 0, CanUpdate: 0 },
    ]);
    const admin = await ctx.request(
      'GET',
      `systemusers(${f.adminUserId})/Microsoft.Dynamics.CRM.RetrievePrincipalAttributePrivileges()`,
    );
    assert.deepEqual(admin.json.AttributePrivileges[0].CanRead, 4);
  });

  test('granting read through fieldpermissions (admin) makes the secured column readable for the sync user', async () => {
    const contact = await ctx.request('POST', 'contacts?$select=lastname', {
      body: { lastname: 'Granted', new_creditscore: 640 },
      headers: { Prefer: 'return=representation' },
      token: adminToken,
    });
    const permission = await ctx.request(
      'GET',
      `fieldpermissions?$filter=_fieldsecurityprofileid_value eq ${f.syncProfileId}&$select=fieldpermissionid`,
      { token: adminToken },
    );
    const id = permission.json.value[0].fieldpermissionid;
    assert.equal(
      (
        await ctx.request('PATCH', `fieldpermissions(${id})`, {
          body: { canread: 4 },
          headers: { 'If-Match': '*' },
          token: adminToken,
        })
      ).status,
      204,
    );
    const read = await ctx.request('GET', `contacts(${contact.json.contactid})?$select=new_creditscore`);
    assert.equal(read.json.new_creditscore, 640);
    await ctx.request('PATCH', `fieldpermissions(${id})`, {
      body: { canread: 0 },
      headers: { 'If-Match': '*' },
      token: adminToken,
    });
    assert.equal(
      (await ctx.request('GET', `contacts(${contact.json.contactid})?$select=new_creditscore`)).json
        .new_creditscore,
      null,
    );
    const members = await ctx.request(
      'GET',
      `fieldsecurityprofiles(${f.syncProfileId})/systemuserprofiles_association?$select=fullname`,
      { token: adminToken },
    );
    assert.deepEqual(
      members.json.value.map((u: any) => u.systemuserid),
      [f.syncUserId],
    );
  });

  test('control API: admin only; rules reject writes with 0x80040265; stats; reset reseeds', async () => {
    const denied = await ctx.request('GET', '/_emulator/stats');
    assert.equal(denied.status, 403);
    const anonymous = await ctx.request('GET', '/_emulator/stats', { token: null });
    assert.equal(anonymous.status, 401);
    const stats = await ctx.request('GET', '/_emulator/stats', { token: adminToken });
    assert.ok(stats.json.requests > 0);
    assert.equal(stats.json.rows.contact >= 5, true);
    const badRules = await ctx.request('PUT', '/_emulator/rules', {
      body: [{ entity: 'contact', on: 'sometimes' }],
      token: adminToken,
    });
    assert.equal(badRules.status, 400);
    const rules = await ctx.request('PUT', '/_emulator/rules', {
      body: [
        {
          entity: 'contact',
          attribute: 'emailaddress1',
          on: 'both',
          check: 'regex',
          value: '^[^@]+@[^@]+$',
          message: 'Email must contain one @.',
        },
        {
          entity: 'lead',
          attribute: 'companyname',
          on: 'create',
          check: 'required',
          message: 'Company is required.',
        },
      ],
      token: adminToken,
    });
    assert.equal(rules.status, 200);
    const rejected = await ctx.request('POST', 'contacts', {
      body: { lastname: 'x', emailaddress1: 'no-at-sign' },
    });
    assert.equal(rejected.status, 400);
    assert.deepEqual(errorOf(rejected), { code: '0x80040265', message: 'Email must contain one @.' });
    assert.equal((await ctx.request('POST', 'leads', { body: { lastname: 'x' } })).status, 400);
    assert.equal(
      (await ctx.request('POST', 'leads', { body: { lastname: 'x', companyname: 'Y' } })).status,
      204,
    );
    const reset = await ctx.request('POST', '/_emulator/reset', {
      body: { seed: 'demo', contacts: 7 },
      token: adminToken,
    });
    assert.equal(reset.status, 200);
    assert.equal(reset.json.seeded.contact, 7);
    assert.equal(
      (await ctx.request('POST', 'contacts', { body: { lastname: 'x', emailaddress1: 'no-at-sign' } }))
        .status,
      204,
      'reset clears rules',
    );
  });
});
