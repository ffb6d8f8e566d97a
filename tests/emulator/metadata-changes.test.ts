import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

/** Microsoft's "Query schema definitions" shape: entities by LogicalName, chosen properties of their columns. */
const query = (entities: string[]) => ({
  Criteria: {
    FilterOperator: 'Or',
    Conditions: entities.map((name) => ({
      ConditionOperator: 'Equals',
      PropertyName: 'LogicalName',
      Value: { Type: 'System.String', Value: name },
    })),
  },
  Properties: { AllProperties: false, PropertyNames: ['Attributes', 'EntitySetName'] },
  AttributeQuery: {
    Properties: { AllProperties: false, PropertyNames: ['AttributeType', 'OptionSet'] },
  },
  LabelQuery: { FilterLanguages: [1033], MissingLabelBehavior: 0 },
});

/** The URL Microsoft's WebAPIService sample builds: `RetrieveMetadataChanges(Query=@p1,…)?@p1=…`. */
function changesUrl(body: unknown, stamp?: string, deleted?: string): string {
  const parameters = ['Query=@p1'];
  const values = [`@p1=${encodeURIComponent(JSON.stringify(body))}`];
  if (deleted !== undefined) {
    parameters.push('DeletedMetadataFilters=@p2');
    values.push(`@p2=Microsoft.Dynamics.CRM.DeletedMetadataFilters'${deleted}'`);
  }
  if (stamp !== undefined) {
    parameters.push('ClientVersionStamp=@p3');
    values.push(`@p3=${encodeURIComponent(`'${stamp}'`)}`);
  }
  return `RetrieveMetadataChanges(${parameters.join(',')})?${values.join('&')}`;
}

const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [
    { '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 },
  ],
});

describe('emulator RetrieveMetadataChanges and InsertOptionValue (cache-schema-data, interfaces.md §7)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 3, accounts: 1, leads: 2 });
  });
  after(() => ctx.close());
  const asAdmin = { token: adminToken };

  test('without a stamp: the matching entities with the requested properties, HasChanged null, a ServerVersionStamp', async () => {
    const response = await ctx.request('GET', changesUrl(query(['contact', 'lead'])));
    assert.equal(response.status, 200, response.text);
    const body = response.json;
    assert.match(
      body['@odata.context'],
      /\$metadata#Microsoft\.Dynamics\.CRM\.RetrieveMetadataChangesResponse$/,
    );
    assert.match(body.ServerVersionStamp, /^\d+!\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/);
    assert.deepEqual(body.DeletedMetadata, { Count: 0, IsReadOnly: false, Keys: [], Values: [] });
    assert.deepEqual(body.EntityMetadata.map((e: any) => e.LogicalName).sort(), ['contact', 'lead']);
    const contact = body.EntityMetadata.find((e: any) => e.LogicalName === 'contact');
    assert.equal(contact.EntitySetName, 'contacts');
    assert.equal(contact.PrimaryIdAttribute, null, 'not requested → null');
    assert.equal(contact.HasChanged, null);
    const tier = contact.Attributes.find((a: any) => a.LogicalName === 'new_tier');
    assert.equal(tier['@odata.type'], '#Microsoft.Dynamics.CRM.ComplexPicklistAttributeMetadata');
    assert.equal(tier.AttributeType, 'Picklist');
    assert.equal(tier.IsValidForRead, null, 'not requested → null');
    assert.ok(tier.OptionSet.Options.length > 0);
    assert.ok(tier.OptionSet.Options.every((o: any) => o.Label?.UserLocalizedLabel?.Label));
  });

  test('with the stamp and nothing changed: no entities, a new stamp', async () => {
    const first = await ctx.request('GET', changesUrl(query(['contact'])));
    const again = await ctx.request(
      'GET',
      changesUrl(query(['contact']), first.json.ServerVersionStamp, 'Attribute'),
    );
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json.EntityMetadata, []);
    assert.equal(again.json.DeletedMetadata.Count, 0);
  });

  test('InsertOptionValue: admin only; the change comes back as a changed option set with only the new label', async () => {
    const { json: start } = await ctx.request('GET', changesUrl(query(['contact', 'lead'])));
    const denied = await ctx.request('POST', 'InsertOptionValue', {
      body: { EntityLogicalName: 'contact', AttributeLogicalName: 'new_tier', Label: label('Platinum') },
    });
    assert.equal(denied.status, 403);
    const inserted = await ctx.request('POST', 'InsertOptionValue', {
      body: { EntityLogicalName: 'contact', AttributeLogicalName: 'new_tier', Label: label('Platinum') },
      ...asAdmin,
    });
    assert.equal(inserted.status, 200, inserted.text);
    const value = inserted.json.NewOptionValue as number;
    assert.ok(Number.isInteger(value));
    const duplicate = await ctx.request('POST', 'InsertOptionValue', {
      body: {
        EntityLogicalName: 'contact',
        AttributeLogicalName: 'new_tier',
        Value: value,
        Label: label('Again'),
      },
      ...asAdmin,
    });
    assert.equal(duplicate.status, 400);
    // Writes accept the new value at once.
    const contactId = (await ctx.request('GET', 'contacts?$select=contactid&$top=1')).json.value[0].contactid;
    const written = await ctx.request('PATCH', `contacts(${contactId})`, { body: { new_tier: value } });
    assert.equal(written.status, 204, written.text);

    const delta = await ctx.request(
      'GET',
      changesUrl(query(['contact', 'lead']), start.ServerVersionStamp, 'Attribute'),
    );
    assert.equal(delta.status, 200, delta.text);
    assert.deepEqual(
      delta.json.EntityMetadata.map((e: any) => e.LogicalName),
      ['contact'],
      'lead did not change',
    );
    const [contact] = delta.json.EntityMetadata;
    assert.equal(contact.HasChanged, false, 'something below the entity changed');
    assert.deepEqual(
      contact.Attributes.map((a: any) => a.LogicalName),
      ['new_tier'],
    );
    const [tier] = contact.Attributes;
    assert.equal(tier.HasChanged, false, 'the attribute itself did not change');
    assert.equal(tier.OptionSet.HasChanged, true);
    const added = tier.OptionSet.Options.find((o: any) => o.Value === value);
    assert.equal(added.Label.UserLocalizedLabel.Label, 'Platinum');
    const others = tier.OptionSet.Options.filter((o: any) => o.Value !== value);
    assert.ok(
      others.length > 0 && others.every((o: any) => o.Label === null),
      'only the new option has its label',
    );
    // EntityDefinitions shows it too.
    const cast = await ctx.request(
      'GET',
      `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_tier')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet`,
    );
    assert.ok(cast.json.OptionSet.Options.some((o: any) => o.Value === value));
  });

  test('a deleted and re-created column: DeletedMetadata names the old MetadataId, the new column is a changed attribute', async () => {
    const created = await ctx.request('POST', `EntityDefinitions(LogicalName='contact')/Attributes`, {
      body: {
        '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata',
        AttributeType: 'String',
        AttributeTypeName: { Value: 'StringType' },
        SchemaName: 'new_Shifty',
        DisplayName: label('Shifty'),
        RequiredLevel: {
          Value: 'None',
          CanBeChanged: true,
          ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
        },
        MaxLength: 50,
      },
      ...asAdmin,
    });
    assert.equal(created.status, 204, created.text);
    const { json: start } = await ctx.request('GET', changesUrl(query(['contact'])));
    const old = start.EntityMetadata[0].Attributes.find((a: any) => a.LogicalName === 'new_shifty');
    assert.equal(old.AttributeType, 'String');
    const removed = await ctx.request(
      'DELETE',
      `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_shifty')`,
      asAdmin,
    );
    assert.equal(removed.status, 204);
    const recreated = await ctx.request('POST', `EntityDefinitions(LogicalName='contact')/Attributes`, {
      body: {
        '@odata.type': 'Microsoft.Dynamics.CRM.IntegerAttributeMetadata',
        AttributeType: 'Integer',
        AttributeTypeName: { Value: 'IntegerType' },
        SchemaName: 'new_Shifty',
        DisplayName: label('Shifty'),
        RequiredLevel: {
          Value: 'None',
          CanBeChanged: true,
          ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
        },
      },
      ...asAdmin,
    });
    assert.equal(recreated.status, 204, recreated.text);
    const withoutFilter = await ctx.request('GET', changesUrl(query(['contact']), start.ServerVersionStamp));
    assert.equal(withoutFilter.json.DeletedMetadata.Count, 0, 'deletions only with DeletedMetadataFilters');
    const delta = await ctx.request(
      'GET',
      changesUrl(query(['contact']), start.ServerVersionStamp, 'Attribute'),
    );
    assert.deepEqual(delta.json.DeletedMetadata.Keys, ['Attribute']);
    assert.deepEqual(delta.json.DeletedMetadata.Values, [{ Items: [old.MetadataId] }]);
    const shifty = delta.json.EntityMetadata[0].Attributes.find((a: any) => a.LogicalName === 'new_shifty');
    assert.equal(shifty.AttributeType, 'Integer');
    assert.equal(shifty.HasChanged, true);
    assert.notEqual(shifty.MetadataId, old.MetadataId);
  });

  test('a stamp from before a reset, or not a stamp, is refused; an expired one with 0x80044352', async () => {
    const { json: start } = await ctx.request('GET', changesUrl(query(['contact'])));
    const expired = await ctx.request('POST', '/_emulator/expire-metadata-stamps', asAdmin);
    assert.equal(expired.status, 200, expired.text);
    const answer = await ctx.request('GET', changesUrl(query(['contact']), start.ServerVersionStamp));
    assert.equal(answer.status, 400);
    assert.equal(errorOf(answer).code, '0x80044352');
    const garbage = await ctx.request('GET', changesUrl(query(['contact']), 'yesterday'));
    assert.equal(garbage.status, 400);
    const badQuery = await ctx.request(
      'GET',
      `RetrieveMetadataChanges(Query=@p1)?@p1=${encodeURIComponent('{"Criteria":3}')}`,
    );
    assert.equal(badQuery.status, 400);
    assert.equal(errorOf(badQuery).code, '0x80060888');
    const fresh = await ctx.request('GET', changesUrl(query(['contact'])));
    const next = await ctx.request('GET', changesUrl(query(['contact']), fresh.json.ServerVersionStamp));
    assert.equal(next.status, 200, 'a full read after the expiry gives a stamp that works');
  });
});
