/**
 * The organisation's lead attribute maps (Customize › Lead › 1:N relationships › Mappings): QualifyLead
 * copies only these columns from the lead to what it creates (reference §10). They follow the out-of-box
 * Dynamics 365 Sales maps; the demo's custom columns `new_synctomkto` and `new_tier` are mapped to the
 * contact as an administrator would after creating them on both tables. `new_externalid` is deliberately
 * not mapped: it is an alternate key, an id of one record in another system.
 */

/** `[lead column, target column]` pairs. */
export type AttributeMap = readonly (readonly [string, string])[];

const address = [
  'address1_line1',
  'address1_line2',
  'address1_line3',
  'address1_city',
  'address1_stateorprovince',
  'address1_postalcode',
  'address1_country',
] as const;

const same = (...names: readonly string[]): AttributeMap => names.map((name) => [name, name] as const);

export const leadToContact: AttributeMap = same(
  'salutation',
  'firstname',
  'middlename',
  'lastname',
  'emailaddress1',
  'emailaddress2',
  'jobtitle',
  'telephone1',
  'telephone2',
  'mobilephone',
  'fax',
  ...address,
  'description',
  'donotphone',
  'donotbulkemail',
  'donotemail',
  'donotfax',
  'donotsendmm',
  'preferredcontactmethodcode',
  'leadsourcecode',
  'transactioncurrencyid',
  'new_synctomkto',
  'new_tier',
);

export const leadToAccount: AttributeMap = [
  ['companyname', 'name'],
  ...same(
    ...address,
    'telephone1',
    'fax',
    'emailaddress1',
    'websiteurl',
    'industrycode',
    'revenue',
    'numberofemployees',
    'transactioncurrencyid',
  ),
];

export const leadToOpportunity: AttributeMap = [
  ['subject', 'name'],
  ...same('description', 'transactioncurrencyid'),
];
