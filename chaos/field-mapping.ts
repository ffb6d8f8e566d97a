import type { PersonEntity } from './crm-admin.ts';

/** How a person field is held in the CRM: plain value, or an option set whose label is the person value. */
export interface MappedField {
  readonly field: string;
  readonly attribute: string;
  readonly option: boolean;
}

const shared: readonly (readonly [string, string, boolean?])[] = [
  ['salutation', 'salutation'],
  ['firstName', 'firstname'],
  ['middleName', 'middlename'],
  ['lastName', 'lastname'],
  ['email', 'emailaddress1'],
  ['title', 'jobtitle'],
  ['phone', 'telephone1'],
  ['homePhone', 'telephone2'],
  ['mobilePhone', 'mobilephone'],
  ['fax', 'fax'],
  ['address', 'address1_line1'],
  ['address2', 'address1_line2'],
  ['address3', 'address1_line3'],
  ['city', 'address1_city'],
  ['state', 'address1_stateorprovince'],
  ['postalCode', 'address1_postalcode'],
  ['country', 'address1_country'],
  ['leadSource', 'leadsourcecode', true],
  ['personStatus', 'statecode', true],
  ['statusReason', 'statuscode', true],
  ['notes', 'description'],
  ['doNotCall', 'donotphone'],
  ['unsubscribed', 'donotbulkemail'],
  ['doNotEmail', 'donotemail'],
  ['doNotFax', 'donotfax'],
  ['doNotSendMarketingMaterial', 'donotsendmm'],
  ['preferredContactMethod', 'preferredcontactmethodcode', true],
];

/** Lead-only columns; a contact's company fields come from its account (B1.4) and are one-way. */
const leadOnly: readonly (readonly [string, string, boolean?])[] = [
  ['topic', 'subject'],
  ['company', 'companyname'],
  ['annualRevenue', 'revenue'],
  ['rating', 'leadqualitycode', true],
];

const toMapped = ([field, attribute, option]: readonly [string, string, boolean?]): MappedField => ({
  field,
  attribute,
  option: option === true,
});

/** The default mapping (interfaces.md §6) of the two-way fields, per entity. */
export const defaultMapping: Readonly<Record<PersonEntity, readonly MappedField[]>> = {
  lead: [...shared, ...leadOnly].map(toMapped),
  contact: shared.map(toMapped),
};

/** The fields the harness edits on both sides: free-text columns present on leads and contacts alike. */
export const editableFields: readonly string[] = [
  'title',
  'city',
  'phone',
  'notes',
  'mobilePhone',
  'address2',
];

export function attributeOf(entity: PersonEntity, field: string): string {
  const mapped = defaultMapping[entity].find((candidate) => candidate.field === field);
  if (mapped === undefined) throw new Error(`no ${entity} attribute for ${field}`);
  return mapped.attribute;
}

const formatted = '@OData.Community.Display.V1.FormattedValue';

/** The person-side reading of a CRM row's column: an option's label, a plain value as is, absent → null. */
export function crmValueAsPerson(row: Record<string, unknown>, mapped: MappedField): unknown {
  if (mapped.option) {
    const raw = row[mapped.attribute];
    if (raw === null || raw === undefined) return null;
    return row[`${mapped.attribute}${formatted}`] ?? raw;
  }
  const value = row[mapped.attribute];
  return value === undefined ? null : value;
}
