/**
 * Attribute (column) definitions as data, and the small builders entity files use to declare them. The
 * shapes follow Dataverse's AttributeMetadata (reference §7); values are stored per row by `index`.
 */

/** Dataverse's AttributeTypeCode (MultiSelectPicklist is reported as `Virtual` with its own type name). */
export type AttributeType =
  | 'String'
  | 'Memo'
  | 'Integer'
  | 'BigInt'
  | 'Decimal'
  | 'Double'
  | 'Money'
  | 'Boolean'
  | 'DateTime'
  | 'Picklist'
  | 'State'
  | 'Status'
  | 'MultiSelectPicklist'
  | 'Lookup'
  | 'Customer'
  | 'Owner'
  | 'Uniqueidentifier'
  | 'EntityName';

export type RequiredLevel = 'None' | 'SystemRequired' | 'ApplicationRequired' | 'Recommended';

export interface OptionDefinition {
  readonly value: number;
  readonly label: string;
  /** Status options: the state they belong to. */
  readonly state?: number;
  /** State options: the default status of that state. */
  readonly defaultStatus?: number;
}

export interface AttributeDefinition {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly displayName: string;
  readonly type: AttributeType;
  readonly required: RequiredLevel;
  readonly validForCreate: boolean;
  readonly validForUpdate: boolean;
  readonly validForRead: boolean;
  /** Field-level security applies (reference §8). */
  readonly secured: boolean;
  readonly custom: boolean;
  /** The Description label (custom attributes created through the metadata API). */
  readonly description?: string;
  readonly maxLength?: number;
  readonly minValue?: number;
  readonly maxValue?: number;
  readonly precision?: number;
  /** String: Text/Email/Phone/Url; DateTime: DateAndTime/DateOnly. */
  readonly format?: string;
  /** Mutable: `InsertOptionValue` adds options (a new array each time, so readers never see one half-built). */
  options?: readonly OptionDefinition[];
  readonly optionSetName?: string;
  /** Boolean labels (e.g. donotemail: Allow / Do Not Allow). */
  readonly booleanLabels?: { readonly true: string; readonly false: string };
  /** Applied on create when the client sends nothing. */
  readonly defaultValue?: string | number | boolean;
  /** Lookups: target entities, and the single-valued navigation property per target. */
  readonly targets?: readonly string[];
  readonly navigation?: Readonly<Record<string, string>>;
  /** Companion columns (owneridtype…) name the lookup they belong to; they are not Web API properties. */
  readonly attributeOf?: string;
  /** Polymorphic lookups: the companion EntityName column (default `<name>type`). */
  readonly typeColumn?: string;
  /** A read-only Boolean saying whether this write-only column holds a value (isauthvalueset → authvalue). */
  readonly isSetFlagOf?: string;
  readonly metadataId: string;
  /** Position of the value in a stored row. */
  index: number;
}

/** The fields a definition file provides; the entity builder fills in ids and positions. */
export type AttributeSpec = Omit<AttributeDefinition, 'metadataId' | 'index' | 'schemaName'> & {
  readonly schemaName?: string;
};

type Extra = Partial<Omit<AttributeSpec, 'logicalName' | 'displayName' | 'type'>>;

const base = (
  logicalName: string,
  displayName: string,
  type: AttributeType,
  extra: Extra,
): AttributeSpec => ({
  logicalName,
  displayName,
  type,
  required: 'None',
  validForCreate: true,
  validForUpdate: true,
  validForRead: true,
  secured: false,
  custom: logicalName.startsWith('new_'),
  ...extra,
});

export const text = (name: string, display: string, maxLength: number, extra: Extra = {}) =>
  base(name, display, 'String', { maxLength, format: 'Text', ...extra });

export const memo = (name: string, display: string, maxLength = 2000, extra: Extra = {}) =>
  base(name, display, 'Memo', { maxLength, format: 'TextArea', ...extra });

export const integer = (name: string, display: string, extra: Extra = {}) =>
  base(name, display, 'Integer', { minValue: -2147483648, maxValue: 2147483647, ...extra });

export const decimal = (name: string, display: string, precision = 2, extra: Extra = {}) =>
  base(name, display, 'Decimal', { minValue: -100000000000, maxValue: 100000000000, precision, ...extra });

export const money = (name: string, display: string, extra: Extra = {}) =>
  base(name, display, 'Money', {
    minValue: -922337203685477,
    maxValue: 922337203685477,
    precision: 2,
    ...extra,
  });

export const dateTime = (name: string, display: string, extra: Extra = {}) =>
  base(name, display, 'DateTime', { format: 'DateAndTime', ...extra });

export const bool = (
  name: string,
  display: string,
  labels: { true: string; false: string } = { true: 'Yes', false: 'No' },
  defaultValue = false,
  extra: Extra = {},
) => base(name, display, 'Boolean', { booleanLabels: labels, defaultValue, ...extra });

/** Options as `[value, label]` pairs, the way option sets read in the Dataverse UI. */
export const options = (pairs: readonly (readonly [number, string])[]): OptionDefinition[] =>
  pairs.map(([value, label]) => ({ value, label }));

export const picklist = (
  name: string,
  display: string,
  pairs: readonly (readonly [number, string])[],
  extra: Extra = {},
) => base(name, display, 'Picklist', { options: options(pairs), ...extra });

export const multiSelect = (
  name: string,
  display: string,
  pairs: readonly (readonly [number, string])[],
  extra: Extra = {},
) => base(name, display, 'MultiSelectPicklist', { options: options(pairs), ...extra });

/** A single-target lookup; its navigation property is its logical name unless the entity says otherwise. */
export const lookup = (name: string, display: string, target: string, extra: Extra = {}) =>
  base(name, display, 'Lookup', { targets: [target], navigation: { [target]: name }, ...extra });

/** A polymorphic customer lookup (account or contact) with per-target navigation properties. */
export const customer = (name: string, display: string, extra: Extra = {}) =>
  base(name, display, 'Customer', {
    targets: ['account', 'contact'],
    navigation: { account: `${name}_account`, contact: `${name}_contact` },
    ...extra,
  });

/** The companion column naming a polymorphic lookup's target table (owneridtype, parentcustomeridtype…). */
export const entityName = (name: string, of: string) =>
  base(name, name, 'EntityName', { attributeOf: of, validForCreate: false, validForUpdate: false });

export const systemReadOnly = { validForCreate: false, validForUpdate: false } as const;

/** The row version: global, monotonically increasing; doubles as the ETag (reference §0). */
export const versionNumber = () =>
  base('versionnumber', 'Version Number', 'BigInt', { validForCreate: false, validForUpdate: false });
