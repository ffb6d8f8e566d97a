import assert from 'node:assert/strict';
import type { SyncWorld } from './sync-world.ts';

/** A Label as Microsoft's column-definition bodies send it. */
export const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [
    { '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 },
  ],
});

/** An admin creates a custom String column in the CRM (Microsoft's column-definition body). */
export async function createStringColumn(world: SyncWorld, entity: string, schemaName: string) {
  const response = await world.crm('POST', `EntityDefinitions(LogicalName='${entity}')/Attributes`, {
    '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata',
    AttributeType: 'String',
    AttributeTypeName: { Value: 'StringType' },
    SchemaName: schemaName,
    DisplayName: label(schemaName),
    RequiredLevel: {
      Value: 'None',
      CanBeChanged: true,
      ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
    },
    MaxLength: 100,
  });
  assert.ok(
    response.status < 300,
    `creating ${schemaName}: ${response.status} ${JSON.stringify(response.json)}`,
  );
}
