import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

const attributes = `EntityDefinitions(LogicalName='contact')/Attributes`;
const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [
    { '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 },
  ],
});
const requiredNone = {
  Value: 'None',
  CanBeChanged: true,
  ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
};

/** Bodies shaped like Microsoft's create-update-column-definitions-using-web-api examples. */
const stringColumn = (schemaName: string, maxLength = 100) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata',
  AttributeType: 'String',
  AttributeTypeName: { Value: 'StringType' },
  SchemaName: schemaName,
  DisplayName: label('Nickname'),
  Description: label('What friends call them'),
  RequiredLevel: requiredNone,
  FormatName: { Value: 'Text' },
  MaxLength: maxLength,
});
const picklistColumn = {
  '@odata.type': 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
  AttributeType: 'Picklist',
  AttributeTypeName: { Value: 'PicklistType' },
  SchemaName: 'new_Colour',
  DisplayName: label('Colour'),
  RequiredLevel: requiredNone,
  OptionSet: {
    '@odata.type': 'Microsoft.Dynamics.CRM.OptionSetMetadata',
    IsGlobal: false,
    OptionSetType: 'Picklist',
    Options: [
      { Value: 727000000, Label: label('Bravo') },
      { Value: 727000001, Label: label('Delta') },
    ],
  },
};

describe('emulator metadata writes: custom attributes (reference §7, interfaces.md §7)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 5, accounts: 2, leads: 2 });
  });
  after(() => ctx.close());

  const asAdmin = { token: adminToken };
  const createColumn = (body: unknown, entity = 'contact') =>
    ctx.request('POST', `EntityDefinitions(LogicalName='${entity}')/Attributes`, { body, ...asAdmin });
  const someContact = async () =>
    (await ctx.request('GET', 'contacts?$select=contactid&$top=1')).json.value[0].contactid as string;

  test('String column: 204 + OData-EntityId; listed in Attributes and $metadata; selectable, writable, filterable, tracked', async () => {
    const contact = await ctx.request('GET', `EntityDefinitions(LogicalName='contact')?$select=MetadataId`);
    const delta = (
      await ctx.request('GET', 'contacts?$select=lastname', { headers: { Prefer: 'odata.track-changes' } })
    ).json['@odata.deltaLink'] as string;

    const created = await createColumn(stringColumn('new_Nickname', 10));
    assert.equal(created.status, 204, created.text);
    const entityId = created.headers.get('odata-entityid') ?? '';
    const match = new RegExp(
      `^${ctx.api.replace(/[.?]/g, '\\$&')}EntityDefinitions\\(${contact.json.MetadataId}\\)/Attributes\\(([0-9a-f-]{36})\\)$`,
    ).exec(entityId);
    assert.ok(match, entityId);

    const definition = await ctx.request(
      'GET',
      `${attributes}(LogicalName='new_nickname')/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,SchemaName,MaxLength,IsCustomAttribute,DisplayName,Description,RequiredLevel,AttributeType`,
    );
    assert.equal(definition.status, 200, definition.text);
    assert.equal(definition.json.MetadataId, match[1]);
    assert.equal(definition.json.SchemaName, 'new_Nickname');
    assert.equal(definition.json.MaxLength, 10);
    assert.equal(definition.json.AttributeType, 'String');
    assert.equal(definition.json.IsCustomAttribute, true);
    assert.equal(definition.json.DisplayName.UserLocalizedLabel.Label, 'Nickname');
    assert.equal(definition.json.Description.UserLocalizedLabel.Label, 'What friends call them');
    assert.equal(definition.json.RequiredLevel.Value, 'None');
    const list = await ctx.request(
      'GET',
      `${attributes}?$select=LogicalName&$filter=IsCustomAttribute eq true`,
    );
    assert.ok(list.json.value.some((a: { LogicalName: string }) => a.LogicalName === 'new_nickname'));
    const csdl = await ctx.request('GET', '$metadata');
    assert.match(csdl.text, /<Property Name="new_nickname" Type="Edm.String" MaxLength="10"\/>/);

    const id = await someContact();
    const written = await ctx.request('PATCH', `contacts(${id})`, {
      body: { new_nickname: 'Bee' },
      headers: { 'If-Match': '*' },
    });
    assert.equal(written.status, 204, written.text);
    const read = await ctx.request('GET', `contacts?$select=new_nickname&$filter=new_nickname eq 'Bee'`);
    assert.deepEqual(
      read.json.value.map((r: Record<string, unknown>) => [r.contactid, r.new_nickname]),
      [[id, 'Bee']],
    );
    const tooLong = await ctx.request('PATCH', `contacts(${id})`, {
      body: { new_nickname: 'x'.repeat(11) },
      headers: { 'If-Match': '*' },
    });
    assert.equal(tooLong.status, 400);
    assert.equal(errorOf(tooLong).code, '0x80044331', 'MaxLength is enforced');
    const changes = await ctx.request(
      'GET',
      delta.replace('$select=lastname', '$select=lastname,new_nickname'),
    );
    assert.equal(changes.status, 200, changes.text);
    assert.deepEqual(
      changes.json.value.map((r: Record<string, unknown>) => [r.contactid, r.new_nickname]),
      [[id, 'Bee']],
    );
  });

  test('Picklist, Boolean, Integer, Decimal and DateTime columns are created and validate writes', async () => {
    assert.equal((await createColumn(picklistColumn)).status, 204);
    const column = (type: string, schemaName: string, extra: Record<string, unknown>) => ({
      '@odata.type': `Microsoft.Dynamics.CRM.${type}AttributeMetadata`,
      SchemaName: schemaName,
      DisplayName: label(schemaName.slice(4)),
      ...extra,
    });
    for (const body of [
      column('Boolean', 'new_Vip', {
        AttributeType: 'Boolean',
        DefaultValue: false,
        OptionSet: {
          TrueOption: { Value: 1, Label: label('Very') },
          FalseOption: { Value: 0, Label: label('Not very') },
          OptionSetType: 'Boolean',
        },
      }),
      column('Integer', 'new_Visits', { Format: 'None', MinValue: 0, MaxValue: 100 }),
      column('Decimal', 'new_Score', { MinValue: 0, MaxValue: 10, Precision: 1 }),
      column('DateTime', 'new_Anniversary', { Format: 'DateOnly', DateTimeBehavior: { Value: 'DateOnly' } }),
    ]) {
      const created = await createColumn(body);
      assert.equal(created.status, 204, `${body.SchemaName}: ${created.text}`);
    }

    const options = await ctx.request(
      'GET',
      `${attributes}(LogicalName='new_colour')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)`,
    );
    assert.deepEqual(
      options.json.OptionSet.Options.map((o: any) => [o.Value, o.Label.UserLocalizedLabel.Label]),
      [
        [727000000, 'Bravo'],
        [727000001, 'Delta'],
      ],
    );
    const id = await someContact();
    const written = await ctx.request('PATCH', `contacts(${id})`, {
      body: {
        new_colour: 727000001,
        new_vip: true,
        new_visits: 42,
        new_score: 9.5,
        new_anniversary: '2020-05-17',
      },
      headers: { 'If-Match': '*' },
    });
    assert.equal(written.status, 204, written.text);
    const read = await ctx.request(
      'GET',
      `contacts(${id})?$select=new_colour,new_vip,new_visits,new_score,new_anniversary`,
      { headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' } },
    );
    assert.equal(read.json.new_colour, 727000001);
    assert.equal(read.json['new_colour@OData.Community.Display.V1.FormattedValue'], 'Delta');
    assert.equal(read.json['new_vip@OData.Community.Display.V1.FormattedValue'], 'Very');
    assert.deepEqual([read.json.new_vip, read.json.new_visits, read.json.new_score], [true, 42, 9.5]);
    assert.match(String(read.json.new_anniversary), /^2020-05-17/);
    for (const [body, code] of [
      [{ new_colour: 5 }, '0x8004431A'],
      [{ new_visits: 101 }, '0x8004431A'],
      [{ new_vip: 'yes' }, '0x80048d19'],
    ] as const) {
      const rejected = await ctx.request('PATCH', `contacts(${id})`, { body, headers: { 'If-Match': '*' } });
      assert.equal(rejected.status, 400, JSON.stringify(body));
      assert.equal(errorOf(rejected).code, code);
    }
    const created = await ctx.request('POST', 'contacts?$select=new_vip', {
      body: { lastname: 'Defaulted' },
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(created.json.new_vip, false, 'DefaultValue applies on create');
  });

  test('delete: afterwards $select and writes answer 0x80060888, the definition is gone, values are lost', async () => {
    assert.equal((await createColumn(stringColumn('new_Temp'))).status, 204);
    const id = await someContact();
    await ctx.request('PATCH', `contacts(${id})`, {
      body: { new_temp: 'kept?' },
      headers: { 'If-Match': '*' },
    });
    const deleted = await ctx.request('DELETE', `${attributes}(LogicalName='new_temp')`, asAdmin);
    assert.equal(deleted.status, 204, deleted.text);

    const select = await ctx.request('GET', `contacts?$select=new_temp`);
    assert.equal(select.status, 400);
    assert.deepEqual(errorOf(select), {
      code: '0x80060888',
      message: "Could not find a property named 'new_temp' on type 'Microsoft.Dynamics.CRM.contact'.",
    });
    const write = await ctx.request('PATCH', `contacts(${id})`, {
      body: { new_temp: 'x' },
      headers: { 'If-Match': '*' },
    });
    assert.equal(write.status, 400);
    assert.equal(errorOf(write).message, select.json.error.message);
    const filter = await ctx.request('GET', `contacts?$filter=new_temp eq 'x'`);
    assert.equal(filter.status, 400);
    assert.equal((await ctx.request('GET', `${attributes}(LogicalName='new_temp')`)).status, 404);
    assert.doesNotMatch((await ctx.request('GET', '$metadata')).text, /new_temp/);
    const full = await ctx.request('GET', `contacts(${id})`);
    assert.ok(!('new_temp' in full.json), 'not in the default columns either');

    assert.equal((await createColumn(stringColumn('new_Temp'))).status, 204, 'the name can be used again');
    const fresh = await ctx.request('GET', `contacts(${id})?$select=new_temp`);
    assert.equal(fresh.json.new_temp, null, 'the old value is lost');
  });

  test('administrators only: the sync user gets the privilege error', async () => {
    const create = await ctx.request('POST', attributes, { body: stringColumn('new_Denied') });
    assert.equal(create.status, 403);
    assert.equal(errorOf(create).code, '0x80040220');
    assert.match(errorOf(create).message, /is missing prvCreateAttribute privilege/);
    const remove = await ctx.request('DELETE', `${attributes}(LogicalName='new_tier')`);
    assert.equal(remove.status, 403);
    assert.match(errorOf(remove).message, /is missing prvDeleteAttribute privilege/);
  });

  test('bad bodies and refused deletes → 400 with a clear message', async () => {
    const cases: [unknown, RegExp][] = [
      [{ SchemaName: 'new_X', DisplayName: label('X') }, /needs "@odata\.type"/],
      [
        { ...stringColumn('new_X'), '@odata.type': 'Microsoft.Dynamics.CRM.MoneyAttributeMetadata' },
        /not supported/,
      ],
      [
        { ...stringColumn('new_X'), '@odata.type': 'Microsoft.Dynamics.CRM.LookupAttributeMetadata' },
        /relationship/,
      ],
      [{ ...stringColumn('new_X'), AttributeType: 'Integer' }, /does not match @odata\.type/],
      [{ ...stringColumn('new_X'), SchemaName: undefined }, /SchemaName is required/],
      [stringColumn('Nickname'), /customization prefix/],
      [stringColumn('new_Tier'), /'new_tier' already exists on entity 'contact'/],
      [{ ...stringColumn('new_X'), DisplayName: undefined }, /DisplayName is required/],
      [{ ...stringColumn('new_X'), DisplayName: 'X' }, /DisplayName must be a Label/],
      [stringColumn('new_X', 0), /MaxLength must be between 1 and 4000/],
      [{ ...stringColumn('new_X'), RequiredLevel: { Value: 'SystemRequired' } }, /SystemRequired/],
      [{ ...stringColumn('new_X'), FormatName: { Value: 'Emoji' } }, /FormatName must be one of/],
      [{ ...picklistColumn, SchemaName: 'new_Other', OptionSet: undefined }, /needs "OptionSet"/],
      [
        {
          ...picklistColumn,
          SchemaName: 'new_Other',
          OptionSet: {
            Options: [
              { Value: 1, Label: label('A') },
              { Value: 1, Label: label('B') },
            ],
          },
        },
        /Value 1 is used twice/,
      ],
      [
        {
          ...picklistColumn,
          SchemaName: 'new_Other',
          'GlobalOptionSet@odata.bind': "/GlobalOptionSetDefinitions(Name='x')",
        },
        /global option sets/,
      ],
      [
        {
          '@odata.type': 'Microsoft.Dynamics.CRM.IntegerAttributeMetadata',
          SchemaName: 'new_N',
          DisplayName: label('N'),
          MinValue: 5,
          MaxValue: 1,
        },
        /MinValue \(5\) must not be greater than MaxValue \(1\)/,
      ],
    ];
    for (const [body, pattern] of cases) {
      const response = await createColumn(body);
      assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.text}`);
      assert.match(errorOf(response).message, pattern);
    }
    const malformed = await createColumn('{"SchemaName":');
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).code, '0x80048d19');
    const unknownEntity = await ctx.request('POST', `EntityDefinitions(LogicalName='nope')/Attributes`, {
      body: stringColumn('new_X'),
      ...asAdmin,
    });
    assert.equal(unknownEntity.status, 404);
    for (const [name, pattern] of [
      ['emailaddress1', /not a custom attribute/],
      ['new_externalid', /used by the alternate key 'new_contact_externalid_key'/],
      ['new_missing', /Could not find attribute/],
    ] as const) {
      const response = await ctx.request('DELETE', `${attributes}(LogicalName='${name}')`, asAdmin);
      assert.ok(response.status === 400 || response.status === 404, response.text);
      assert.match(errorOf(response).message, pattern);
    }
    const put = await ctx.request('PUT', `${attributes}(LogicalName='new_tier')`, { body: {}, ...asAdmin });
    assert.equal(put.status, 405);
  });

  test('dynamics-web-api createAttribute works unchanged; POST /_emulator/reset forgets created columns', async () => {
    const admin = new DynamicsWebApi({
      serverUrl: ctx.emulator.url,
      dataApi: { version: '9.2' },
      onTokenRefresh: async () => adminToken,
    });
    await admin.createAttribute({ entityKey: "LogicalName='lead'", data: stringColumn('new_Campaign') });
    const attribute = await admin.retrieveAttributes({
      entityKey: "LogicalName='lead'",
      select: ['LogicalName'],
      filter: "LogicalName eq 'new_campaign'",
    });
    assert.equal(attribute.value.length, 1);
    const reset = await ctx.request('POST', '/_emulator/reset', { body: { seed: 'empty' }, ...asAdmin });
    assert.equal(reset.status, 200, reset.text);
    const gone = await ctx.request(
      'GET',
      `EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='new_campaign')`,
    );
    assert.equal(gone.status, 404);
    const select = await ctx.request('GET', 'leads?$select=new_campaign');
    assert.equal(select.status, 400);
  });
});
