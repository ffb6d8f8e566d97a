import { invalidArgument } from '../http/dataverse-error.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import {
  bool,
  dateTime,
  decimal,
  integer,
  memo,
  picklist,
  text,
  type AttributeSpec,
  type RequiredLevel,
} from './attribute-definition.ts';
import type { EntityDefinition } from './entity-definition.ts';

/**
 * Reads an AttributeMetadata body as Microsoft documents it for `POST EntityDefinitions(…)/Attributes`
 * (learn.microsoft.com …/webapi/create-update-column-definitions-using-web-api): `@odata.type` names the
 * derived type, `SchemaName` carries the customisation prefix, labels are `{LocalizedLabels:[{Label,
 * LanguageCode}]}`. Every mistake answers 400 with what to change.
 */

type Json = Record<string, unknown>;

const prefix = 'Microsoft.Dynamics.CRM.';

/** Derived type → the AttributeType it implies. */
const creatable: Readonly<Record<string, string>> = {
  StringAttributeMetadata: 'String',
  MemoAttributeMetadata: 'Memo',
  PicklistAttributeMetadata: 'Picklist',
  BooleanAttributeMetadata: 'Boolean',
  IntegerAttributeMetadata: 'Integer',
  DecimalAttributeMetadata: 'Decimal',
  DateTimeAttributeMetadata: 'DateTime',
};

const stringFormats = ['Text', 'Email', 'Phone', 'Url', 'TextArea', 'TickerSymbol'];
const int32 = { min: -2147483648, max: 2147483647 };
const decimalLimit = 100_000_000_000;
/** Option values the platform hands out for a publisher prefix without a value of its own (`new_`). */
export const firstOptionValue = 100_000_000;

const bad = (message: string) => invalidArgument(message);

export interface NewAttribute {
  readonly spec: AttributeSpec;
  /** A client-chosen MetadataId, when the body has one. */
  readonly metadataId: string | undefined;
}

export function attributeFromBody(entity: EntityDefinition, body: Json): NewAttribute {
  const typeName = metadataType(body);
  const attributeType = creatable[typeName];
  if (body.AttributeType !== undefined && body.AttributeType !== attributeType)
    throw bad(
      `AttributeType '${String(body.AttributeType)}' does not match @odata.type '${prefix}${typeName}'.`,
    );
  const typeNameValue = (body.AttributeTypeName as Json | undefined)?.Value;
  if (typeNameValue !== undefined && typeNameValue !== `${attributeType}Type`)
    throw bad(
      `AttributeTypeName '${String(typeNameValue)}' does not match @odata.type '${prefix}${typeName}'.`,
    );

  const schemaName = body.SchemaName;
  if (typeof schemaName !== 'string' || schemaName === '') throw bad('SchemaName is required.');
  if (!/^[A-Za-z][A-Za-z0-9]{1,7}_[A-Za-z0-9_]+$/.test(schemaName) || schemaName.length > 50)
    throw bad(
      `Invalid SchemaName '${schemaName}': it must start with a customization prefix and an underscore ` +
        `(e.g. new_Tier), use only letters, digits and underscores, and have at most 50 characters.`,
    );
  const logicalName = schemaName.toLowerCase();
  if (body.LogicalName !== undefined && body.LogicalName !== logicalName)
    throw bad(
      `LogicalName '${String(body.LogicalName)}' must be the lower-case SchemaName ('${logicalName}').`,
    );
  if (entity.byName.has(logicalName) || entity.navigation.has(logicalName))
    throw bad(`An attribute named '${logicalName}' already exists on entity '${entity.logicalName}'.`);

  const displayName = labelText(body.DisplayName, 'DisplayName');
  if (displayName === undefined)
    throw bad('DisplayName is required: {"LocalizedLabels":[{"Label":…,"LanguageCode":1033}]}.');
  const description = labelText(body.Description, 'Description');
  const common = {
    schemaName,
    custom: true,
    required: requiredLevel(body.RequiredLevel),
    secured: optionalBoolean(body, 'IsSecured') ?? false,
    ...(description ? { description } : {}),
  };
  let metadataId: string | undefined;
  if (body.MetadataId !== undefined) {
    metadataId = typeof body.MetadataId === 'string' ? normalizeGuid(body.MetadataId) : undefined;
    if (!metadataId) throw bad(`MetadataId '${String(body.MetadataId)}' is not a GUID.`);
  }
  return { spec: typedSpec(typeName, logicalName, displayName, body, common), metadataId };
}

function metadataType(body: Json): string {
  const type = body['@odata.type'];
  if (typeof type !== 'string')
    throw bad(
      `The body needs "@odata.type" naming the attribute type, e.g. "${prefix}StringAttributeMetadata".`,
    );
  const name = new RegExp(`^#?${prefix.replace(/\./g, '\\.')}(\\w+)$`).exec(type)?.[1];
  if (name === 'LookupAttributeMetadata')
    throw bad(
      'Lookup columns are created with their relationship (RelationshipDefinitions), which the emulator does not serve.',
    );
  if (name === undefined || !(name in creatable))
    throw bad(
      `Creating '${type}' columns is not supported; use one of ${Object.keys(creatable)
        .map((t) => prefix + t)
        .join(', ')}.`,
    );
  return name;
}

type Common = Partial<AttributeSpec> & Pick<AttributeSpec, 'schemaName' | 'custom' | 'required' | 'secured'>;

function typedSpec(
  typeName: string,
  logicalName: string,
  displayName: string,
  body: Json,
  common: Common,
): AttributeSpec {
  switch (typeName) {
    case 'StringAttributeMetadata': {
      const format = stringFormat(body);
      return text(logicalName, displayName, maxLength(body, 4000, 100), { ...common, format });
    }
    case 'MemoAttributeMetadata':
      return memo(logicalName, displayName, maxLength(body, 1_048_576, 2000), common);
    case 'IntegerAttributeMetadata': {
      const [minValue, maxValue] = range(body, int32.min, int32.max, true);
      return integer(logicalName, displayName, { ...common, minValue, maxValue });
    }
    case 'DecimalAttributeMetadata': {
      const [minValue, maxValue] = range(body, -decimalLimit, decimalLimit, false);
      const precision = optionalInteger(body, 'Precision') ?? 2;
      if (precision < 0 || precision > 10) throw bad(`Precision must be between 0 and 10, not ${precision}.`);
      return decimal(logicalName, displayName, precision, { ...common, minValue, maxValue });
    }
    case 'DateTimeAttributeMetadata':
      return dateTime(logicalName, displayName, { ...common, format: dateFormat(body) });
    case 'BooleanAttributeMetadata': {
      const optionSet = body.OptionSet as Json | undefined;
      if (optionSet !== undefined && (optionSet === null || typeof optionSet !== 'object'))
        throw bad('OptionSet of a Boolean column must be {"TrueOption":{…},"FalseOption":{…}}.');
      const labels = {
        true: optionLabel(optionSet?.TrueOption, 'OptionSet.TrueOption', 1) ?? 'Yes',
        false: optionLabel(optionSet?.FalseOption, 'OptionSet.FalseOption', 0) ?? 'No',
      };
      return bool(logicalName, displayName, labels, optionalBoolean(body, 'DefaultValue') ?? false, common);
    }
    default:
      return picklistSpec(logicalName, displayName, body, common);
  }
}

function picklistSpec(logicalName: string, displayName: string, body: Json, common: Common): AttributeSpec {
  if (body['GlobalOptionSet@odata.bind'] !== undefined)
    throw bad('The emulator has no global option sets: define the choices locally in "OptionSet".');
  const optionSet = body.OptionSet as Json | undefined;
  if (optionSet === null || typeof optionSet !== 'object' || !Array.isArray(optionSet.Options))
    throw bad('A Picklist column needs "OptionSet": {"Options": [{"Value": …, "Label": {…}}, …]}.');
  if (optionSet.IsGlobal === true)
    throw bad('The emulator has no global option sets: send "IsGlobal": false with the options.');
  if (optionSet.Options.length === 0) throw bad('OptionSet.Options must list at least one option.');
  const used = new Set<number>();
  const pairs = (optionSet.Options as unknown[]).map((option, i): [number, string] => {
    const path = `OptionSet.Options[${i}]`;
    if (option === null || typeof option !== 'object') throw bad(`${path} must be an object.`);
    const given = (option as Json).Value;
    let value: number;
    if (given === undefined || given === null) {
      value = firstOptionValue;
      while (used.has(value)) value++;
    } else if (
      typeof given === 'number' &&
      Number.isInteger(given) &&
      given >= int32.min &&
      given <= int32.max
    ) {
      value = given;
    } else throw bad(`${path}.Value must be a whole number, not ${JSON.stringify(given)}.`);
    if (used.has(value)) throw bad(`${path}.Value ${value} is used twice.`);
    used.add(value);
    const label = labelText((option as Json).Label, `${path}.Label`);
    if (label === undefined) throw bad(`${path}.Label is required.`);
    return [value, label];
  });
  const defaultFormValue = optionalInteger(body, 'DefaultFormValue');
  if (defaultFormValue !== undefined && defaultFormValue !== -1 && !used.has(defaultFormValue))
    throw bad(`DefaultFormValue ${defaultFormValue} is not one of the options.`);
  return picklist(logicalName, displayName, pairs, {
    ...common,
    ...(defaultFormValue !== undefined && defaultFormValue !== -1 ? { defaultValue: defaultFormValue } : {}),
  });
}

/** The 1033 (else first) label of a Label object; undefined when absent. */
export function labelText(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const labels = (value as Json).LocalizedLabels;
  if (typeof value !== 'object' || !Array.isArray(labels))
    throw bad(`${path} must be a Label: {"LocalizedLabels":[{"Label":"…","LanguageCode":1033}]}.`);
  if (labels.length === 0) return undefined;
  const chosen = (labels as Json[]).find((l) => l?.LanguageCode === 1033) ?? (labels[0] as Json);
  if (chosen === null || typeof chosen !== 'object' || typeof chosen.Label !== 'string')
    throw bad(`${path}.LocalizedLabels[…].Label must be a string.`);
  return chosen.Label;
}

function optionLabel(option: unknown, path: string, value: number): string | undefined {
  if (option === undefined) return undefined;
  if (option === null || typeof option !== 'object') throw bad(`${path} must be an object.`);
  const given = (option as Json).Value;
  if (given !== undefined && given !== value) throw bad(`${path}.Value must be ${value}.`);
  return labelText((option as Json).Label, `${path}.Label`);
}

function requiredLevel(value: unknown): RequiredLevel {
  if (value === undefined || value === null) return 'None';
  const level = (value as Json).Value;
  if (level === 'SystemRequired') throw bad('RequiredLevel SystemRequired cannot be set on a custom column.');
  if (level !== 'None' && level !== 'ApplicationRequired' && level !== 'Recommended')
    throw bad(
      `RequiredLevel.Value must be None, ApplicationRequired or Recommended, not ${JSON.stringify(level)}.`,
    );
  return level;
}

function optionalBoolean(body: Json, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  // Managed properties arrive as {"Value": true, …} on some bodies.
  const plain = typeof value === 'object' ? (value as Json).Value : value;
  if (typeof plain !== 'boolean') throw bad(`${name} must be true or false, not ${JSON.stringify(value)}.`);
  return plain;
}

function optionalInteger(body: Json, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw bad(`${name} must be a whole number, not ${JSON.stringify(value)}.`);
  return value;
}

function maxLength(body: Json, limit: number, fallback: number): number {
  const value = optionalInteger(body, 'MaxLength') ?? fallback;
  if (value < 1 || value > limit) throw bad(`MaxLength must be between 1 and ${limit}, not ${value}.`);
  return value;
}

function range(body: Json, low: number, high: number, whole: boolean): [number, number] {
  const read = (name: string, fallback: number) => {
    const value = body[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || (whole && !Number.isInteger(value)) || !Number.isFinite(value))
      throw bad(`${name} must be a ${whole ? 'whole ' : ''}number, not ${JSON.stringify(value)}.`);
    if (value < low || value > high) throw bad(`${name} must be between ${low} and ${high}, not ${value}.`);
    return value;
  };
  const min = read('MinValue', low);
  const max = read('MaxValue', high);
  if (min > max) throw bad(`MinValue (${min}) must not be greater than MaxValue (${max}).`);
  return [min, max];
}

function stringFormat(body: Json): string {
  const format = (body.FormatName as Json | undefined)?.Value ?? body.Format ?? 'Text';
  if (typeof format !== 'string' || !stringFormats.includes(format))
    throw bad(`FormatName must be one of ${stringFormats.join(', ')}, not ${JSON.stringify(format)}.`);
  return format;
}

function dateFormat(body: Json): 'DateOnly' | 'DateAndTime' {
  const format = body.Format ?? 'DateAndTime';
  if (format !== 'DateOnly' && format !== 'DateAndTime')
    throw bad(`Format must be DateOnly or DateAndTime, not ${JSON.stringify(format)}.`);
  const behavior = (body.DateTimeBehavior as Json | undefined)?.Value;
  if (behavior !== undefined && !['UserLocal', 'DateOnly', 'TimeZoneIndependent'].includes(String(behavior)))
    throw bad(
      `DateTimeBehavior.Value must be UserLocal, DateOnly or TimeZoneIndependent, not ${JSON.stringify(behavior)}.`,
    );
  if (behavior === 'DateOnly' && format !== 'DateOnly')
    throw bad('DateTimeBehavior DateOnly needs Format DateOnly.');
  return format;
}
