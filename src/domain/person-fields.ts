/**
 * Person fields and the default CRM mapping (interfaces.md §6). Pure data: the store, the API and the engine
 * all read it from here so that a field has one name everywhere.
 */

export type PersonFieldType = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'date';

/** System fields: written only by the sync, read-only through the API (interfaces.md §6). */
export const systemFields = {
  crmType: 'string', // 'lead' | 'contact' | null
  crmLeadId: 'string',
  crmContactId: 'string',
  crmAccountId: 'string',
  crmOwnerId: 'string',
  crmOwnerName: 'string',
  crmOwnerEmail: 'string',
  crmCreatedAt: 'datetime',
  crmIsDeleted: 'boolean',
} as const satisfies Record<string, PersonFieldType>;

export type SystemFieldName = keyof typeof systemFields;

export interface StandardFieldDefinition {
  readonly name: string;
  readonly type: PersonFieldType;
  /** 'option' fields hold the option's label (B5.3); their CRM value is an integer. */
  readonly option?: true;
  readonly lead?: string;
  readonly contact?: string;
  /** Company fields come from the contact's parent account (B1.4) and are never pushed. */
  readonly account?: string;
}

const field = (
  name: string,
  type: PersonFieldType,
  crm: Omit<StandardFieldDefinition, 'name' | 'type'>,
): StandardFieldDefinition => ({ name, type, ...crm });

/** Both lead and contact carry the attribute under the same logical name. */
const both = (name: string, attribute: string, type: PersonFieldType = 'string', option?: true) =>
  field(name, type, { lead: attribute, contact: attribute, ...(option ? { option } : {}) });

export const standardFields: readonly StandardFieldDefinition[] = [
  both('salutation', 'salutation'),
  both('firstName', 'firstname'),
  both('middleName', 'middlename'),
  both('lastName', 'lastname'),
  both('email', 'emailaddress1'),
  both('title', 'jobtitle'),
  both('phone', 'telephone1'),
  both('homePhone', 'telephone2'),
  both('mobilePhone', 'mobilephone'),
  both('fax', 'fax'),
  both('address', 'address1_line1'),
  both('address2', 'address1_line2'),
  both('address3', 'address1_line3'),
  both('city', 'address1_city'),
  both('state', 'address1_stateorprovince'),
  both('postalCode', 'address1_postalcode'),
  both('country', 'address1_country'),
  both('leadSource', 'leadsourcecode', 'string', true),
  both('personStatus', 'statecode', 'string', true),
  both('statusReason', 'statuscode', 'string', true),
  both('notes', 'description'),
  both('doNotCall', 'donotphone', 'boolean'),
  both('unsubscribed', 'donotbulkemail', 'boolean'),
  both('doNotEmail', 'donotemail', 'boolean'),
  both('doNotFax', 'donotfax', 'boolean'),
  both('doNotSendMarketingMaterial', 'donotsendmm', 'boolean'),
  both('preferredContactMethod', 'preferredcontactmethodcode', 'string', true),
  field('topic', 'string', { lead: 'subject' }),
  field('company', 'string', { lead: 'companyname', account: 'name' }),
  field('annualRevenue', 'number', { lead: 'revenue', account: 'revenue' }),
  field('rating', 'string', { lead: 'leadqualitycode', option: true }),
  // Company fields from the contact's parent account (B1.4).
  field('billingStreet', 'string', { account: 'address1_line1' }),
  field('billingCity', 'string', { account: 'address1_city' }),
  field('billingState', 'string', { account: 'address1_stateorprovince' }),
  field('billingPostalCode', 'string', { account: 'address1_postalcode' }),
  field('billingCountry', 'string', { account: 'address1_country' }),
  field('mainPhone', 'string', { account: 'telephone1' }),
  field('industry', 'string', { account: 'industrycode', option: true }),
  field('sicCode', 'string', { account: 'sic' }),
  field('website', 'string', { account: 'websiteurl' }),
  field('numberOfEmployees', 'integer', { account: 'numberofemployees' }),
  field('accountNumber', 'string', { account: 'accountnumber' }),
];

/** Company fields are one-way from the account (B1.4): an edit changes the account mirror, never the CRM. */
export const companyFieldNames: readonly string[] = [
  'company',
  'annualRevenue',
  'billingStreet',
  'billingCity',
  'billingState',
  'billingPostalCode',
  'billingCountry',
  'mainPhone',
  'industry',
  'sicCode',
  'website',
  'numberOfEmployees',
  'accountNumber',
];

export const standardFieldsByName: ReadonlyMap<string, StandardFieldDefinition> = new Map(
  standardFields.map((definition) => [definition.name, definition]),
);

/** Person field names a client may never set (B5.2 names custom fields by logical name, which never clash). */
export function isSystemField(name: string): name is SystemFieldName {
  return Object.hasOwn(systemFields, name);
}
