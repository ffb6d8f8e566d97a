import type { AttributeDefinition, AttributeType, OptionDefinition } from './attribute-definition.ts';
import type { EntityDefinition } from './entity-definition.ts';
import { metadataId } from './metadata-id.ts';

/**
 * EntityMetadata / AttributeMetadata / OptionSetMetadata JSON as the Web API serves them (reference §7).
 * Property sets follow the SDK types: base AttributeMetadata properties plus those of the derived type.
 */

export function label(text: string, id: string): Record<string, unknown> {
  const localized = { Label: text, LanguageCode: 1033, IsManaged: true, MetadataId: id, HasChanged: null };
  return {
    LocalizedLabels: text === '' ? [] : [localized],
    UserLocalizedLabel: text === '' ? null : localized,
  };
}

const managed = (value: boolean, name: string) => ({
  Value: value,
  CanBeChanged: false,
  ManagedPropertyLogicalName: name,
});

export function entityJson(entity: EntityDefinition): Record<string, unknown> {
  return {
    MetadataId: entity.metadataId,
    LogicalName: entity.logicalName,
    SchemaName: entity.schemaName,
    EntitySetName: entity.entitySetName,
    LogicalCollectionName: entity.entitySetName,
    CollectionSchemaName: `${entity.schemaName}s`,
    PrimaryIdAttribute: entity.primaryId,
    PrimaryNameAttribute: entity.primaryName,
    ObjectTypeCode: entity.objectTypeCode,
    OwnershipType: entity.ownership,
    ChangeTrackingEnabled: entity.changeTracking,
    IsOptimisticConcurrencyEnabled: entity.optimisticConcurrency,
    IsCustomEntity: entity.custom,
    IsManaged: !entity.custom,
    IsActivity: entity.logicalName === 'task',
    IsIntersect: entity.logicalName === 'systemuserprofiles',
    IsValidForAdvancedFind: true,
    IsAuditEnabled: managed(false, 'canmodifyauditsettings'),
    CanCreateAttributes: managed(true, 'cancreateattributes'),
    DisplayName: label(entity.displayName, metadataId('label', entity.logicalName)),
    DisplayCollectionName: label(
      entity.displayCollectionName,
      metadataId('label-plural', entity.logicalName),
    ),
    Description: label('', ''),
  };
}

/** The SDK type name of an attribute (`@odata.type` without the `#Microsoft.Dynamics.CRM.` prefix). */
export function metadataTypeOf(type: AttributeType): string {
  switch (type) {
    case 'Lookup':
    case 'Customer':
    case 'Owner':
      return 'LookupAttributeMetadata';
    case 'Uniqueidentifier':
      return 'UniqueIdentifierAttributeMetadata';
    default:
      return `${type}AttributeMetadata`;
  }
}

/** Names of the properties each cast adds to AttributeMetadata. */
export const castProperties: Readonly<Record<string, readonly string[]>> = {
  StringAttributeMetadata: ['MaxLength', 'Format', 'FormatName', 'DatabaseLength', 'IsLocalizable'],
  MemoAttributeMetadata: ['MaxLength', 'Format', 'FormatName', 'DatabaseLength', 'IsLocalizable'],
  IntegerAttributeMetadata: ['MinValue', 'MaxValue', 'Format'],
  BigIntAttributeMetadata: ['MinValue', 'MaxValue'],
  DecimalAttributeMetadata: ['MinValue', 'MaxValue', 'Precision'],
  DoubleAttributeMetadata: ['MinValue', 'MaxValue', 'Precision'],
  MoneyAttributeMetadata: ['MinValue', 'MaxValue', 'Precision', 'PrecisionSource'],
  BooleanAttributeMetadata: ['DefaultValue', 'OptionSet'],
  DateTimeAttributeMetadata: ['Format', 'DateTimeBehavior'],
  PicklistAttributeMetadata: ['DefaultFormValue', 'OptionSet', 'GlobalOptionSet'],
  StateAttributeMetadata: ['DefaultFormValue', 'OptionSet', 'GlobalOptionSet'],
  StatusAttributeMetadata: ['DefaultFormValue', 'OptionSet', 'GlobalOptionSet'],
  MultiSelectPicklistAttributeMetadata: ['DefaultFormValue', 'OptionSet', 'GlobalOptionSet'],
  LookupAttributeMetadata: ['Targets', 'Format'],
  UniqueIdentifierAttributeMetadata: [],
  EntityNameAttributeMetadata: [],
};

/** Properties that are navigation properties (only present when expanded). */
export const optionSetNavigation = new Set(['OptionSet', 'GlobalOptionSet']);

export const baseAttributeProperties = [
  'MetadataId',
  'LogicalName',
  'SchemaName',
  'EntityLogicalName',
  'AttributeType',
  'AttributeTypeName',
  'AttributeOf',
  'ColumnNumber',
  'IsValidForCreate',
  'IsValidForUpdate',
  'IsValidForRead',
  'IsSecured',
  'CanBeSecuredForCreate',
  'CanBeSecuredForRead',
  'CanBeSecuredForUpdate',
  'IsCustomAttribute',
  'IsPrimaryId',
  'IsPrimaryName',
  'IsLogical',
  'IsManaged',
  'IsFilterable',
  'IsRetrievable',
  'IsValidForAdvancedFind',
  'RequiredLevel',
  'DisplayName',
  'Description',
  'HasChanged',
] as const;

export function attributeJson(entity: EntityDefinition, a: AttributeDefinition): Record<string, unknown> {
  const typeName = metadataTypeOf(a.type);
  const securable =
    !['Uniqueidentifier', 'EntityName'].includes(a.type) &&
    a.logicalName !== 'versionnumber' &&
    !a.logicalName.startsWith('created') &&
    !a.logicalName.startsWith('modified');
  const json: Record<string, unknown> = {
    '@odata.type': `#Microsoft.Dynamics.CRM.${typeName}`,
    MetadataId: a.metadataId,
    LogicalName: a.logicalName,
    SchemaName: a.schemaName,
    EntityLogicalName: entity.logicalName,
    AttributeType: a.type === 'MultiSelectPicklist' ? 'Virtual' : a.type,
    AttributeTypeName: { Value: `${a.type}Type` },
    AttributeOf: a.attributeOf ?? null,
    ColumnNumber: a.index + 1,
    IsValidForCreate: a.validForCreate,
    IsValidForUpdate: a.validForUpdate,
    IsValidForRead: a.validForRead,
    IsSecured: a.secured,
    CanBeSecuredForCreate: securable,
    CanBeSecuredForRead: securable,
    CanBeSecuredForUpdate: securable,
    IsCustomAttribute: a.custom,
    IsPrimaryId: a.logicalName === entity.primaryId,
    IsPrimaryName: a.logicalName === entity.primaryName,
    IsLogical: false,
    IsManaged: !a.custom,
    IsFilterable: true,
    IsRetrievable: true,
    IsValidForAdvancedFind: managed(true, 'canmodifysearchsettings'),
    RequiredLevel: {
      Value: a.required,
      CanBeChanged: true,
      ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
    },
    DisplayName: label(a.displayName, metadataId('label', entity.logicalName, a.logicalName)),
    Description: label(
      a.description ?? '',
      a.description ? metadataId('description', entity.logicalName, a.logicalName) : '',
    ),
    HasChanged: null,
  };
  switch (typeName) {
    case 'StringAttributeMetadata':
    case 'MemoAttributeMetadata':
      Object.assign(json, {
        MaxLength: a.maxLength ?? null,
        Format: a.format ?? 'Text',
        FormatName: { Value: a.format ?? 'Text' },
        DatabaseLength: (a.maxLength ?? 0) * 2,
        IsLocalizable: false,
      });
      break;
    case 'IntegerAttributeMetadata':
      Object.assign(json, { MinValue: a.minValue ?? null, MaxValue: a.maxValue ?? null, Format: 'None' });
      break;
    case 'BigIntAttributeMetadata':
      // JSON numbers cannot hold ±2^63 exactly; the largest safe integers stand in for them.
      Object.assign(json, { MinValue: Number.MIN_SAFE_INTEGER, MaxValue: Number.MAX_SAFE_INTEGER });
      break;
    case 'DecimalAttributeMetadata':
    case 'DoubleAttributeMetadata':
      Object.assign(json, {
        MinValue: a.minValue ?? null,
        MaxValue: a.maxValue ?? null,
        Precision: a.precision ?? 2,
      });
      break;
    case 'MoneyAttributeMetadata':
      Object.assign(json, {
        MinValue: a.minValue ?? null,
        MaxValue: a.maxValue ?? null,
        Precision: a.precision ?? 2,
        PrecisionSource: 2,
      });
      break;
    case 'BooleanAttributeMetadata':
      json.DefaultValue = a.defaultValue ?? false;
      break;
    case 'DateTimeAttributeMetadata':
      Object.assign(json, {
        Format: a.format === 'DateOnly' ? 'DateOnly' : 'DateAndTime',
        DateTimeBehavior: { Value: a.format === 'DateOnly' ? 'DateOnly' : 'UserLocal' },
      });
      break;
    case 'PicklistAttributeMetadata':
    case 'StateAttributeMetadata':
    case 'StatusAttributeMetadata':
    case 'MultiSelectPicklistAttributeMetadata':
      json.DefaultFormValue = typeof a.defaultValue === 'number' ? a.defaultValue : -1;
      break;
    case 'LookupAttributeMetadata':
      Object.assign(json, { Targets: a.targets ?? [], Format: 'None' });
      break;
  }
  return json;
}

function optionJson(entity: string, a: AttributeDefinition, o: OptionDefinition): Record<string, unknown> {
  const json: Record<string, unknown> = {
    Value: o.value,
    Color: null,
    IsManaged: true,
    ExternalValue: '',
    ParentValues: [],
    Tag: null,
    IsHidden: false,
    MetadataId: null,
    HasChanged: null,
    Label: label(o.label, metadataId('option', entity, a.logicalName, String(o.value))),
    Description: label('', ''),
  };
  if (a.type === 'State')
    Object.assign(json, { DefaultStatus: o.defaultStatus ?? null, InvariantName: o.label });
  if (a.type === 'Status') Object.assign(json, { State: o.state ?? null, TransitionData: null });
  return json;
}

/** OptionSetMetadata (or BooleanOptionSetMetadata) of an attribute, undefined when it has none. */
export function optionSetJson(
  entity: EntityDefinition,
  a: AttributeDefinition,
): Record<string, unknown> | undefined {
  const name = a.optionSetName ?? `${entity.logicalName}_${a.logicalName}`;
  const common = {
    MetadataId: metadataId('optionset', name),
    HasChanged: null,
    IsCustomOptionSet: a.custom,
    IsGlobal: a.optionSetName !== undefined,
    IsManaged: !a.custom,
    Name: name,
    ExternalTypeName: null,
    Description: label('', ''),
    DisplayName: label(a.displayName, metadataId('optionset-label', name)),
  };
  if (a.type === 'Boolean') {
    const labels = a.booleanLabels ?? { true: 'Yes', false: 'No' };
    return {
      '@odata.type': '#Microsoft.Dynamics.CRM.BooleanOptionSetMetadata',
      ...common,
      OptionSetType: 'Boolean',
      TrueOption: optionJson(entity.logicalName, a, { value: 1, label: labels.true }),
      FalseOption: optionJson(entity.logicalName, a, { value: 0, label: labels.false }),
    };
  }
  if (!a.options) return undefined;
  return {
    ...common,
    OptionSetType: a.type === 'MultiSelectPicklist' ? 'Picklist' : a.type,
    Options: a.options.map((o) => optionJson(entity.logicalName, a, o)),
  };
}
