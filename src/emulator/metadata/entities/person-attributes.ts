import {
  bool,
  lookup,
  memo,
  picklist,
  systemReadOnly,
  text,
  type AttributeSpec,
} from '../attribute-definition.ts';

/**
 * Columns leads and contacts share: every attribute of interfaces.md §6's default mapping exists on both with
 * the same logical name and type, plus the demo's custom columns (new_synctomkto, new_tier, new_externalid).
 */

const allow = { true: 'Do Not Allow', false: 'Allow' };

export const leadSourceOptions = [
  [1, 'Advertisement'],
  [2, 'Employee Referral'],
  [3, 'External Referral'],
  [4, 'Partner'],
  [5, 'Public Relations'],
  [6, 'Seminar'],
  [7, 'Trade Show'],
  [8, 'Web'],
  [9, 'Word of Mouth'],
  [10, 'Other'],
] as const;

export const tierOptions = [
  [100000000, 'Bronze'],
  [100000001, 'Silver'],
  [100000002, 'Gold'],
  [100000003, 'Platinum'],
] as const;

export const addressAttributes: AttributeSpec[] = [
  text('address1_line1', 'Street 1', 250),
  text('address1_line2', 'Street 2', 250),
  text('address1_line3', 'Street 3', 250),
  text('address1_city', 'City', 80),
  text('address1_stateorprovince', 'State/Province', 50),
  text('address1_postalcode', 'ZIP/Postal Code', 20),
  text('address1_country', 'Country/Region', 80),
];

export function personAttributes(entity: 'lead' | 'contact'): AttributeSpec[] {
  return [
    text('salutation', 'Salutation', 100),
    text('firstname', 'First Name', 50, { required: 'Recommended' }),
    text('middlename', 'Middle Name', 50),
    text('lastname', 'Last Name', 50, { required: 'ApplicationRequired' }),
    text('fullname', 'Full Name', 160, systemReadOnly),
    text('emailaddress1', 'Email', 100, { format: 'Email' }),
    text('emailaddress2', 'Email Address 2', 100, { format: 'Email' }),
    text('jobtitle', 'Job Title', 100),
    text('telephone1', 'Business Phone', 50, { format: 'Phone' }),
    text('telephone2', 'Home Phone', 50, { format: 'Phone' }),
    text('mobilephone', 'Mobile Phone', 50, { format: 'Phone' }),
    text('fax', 'Fax', 50, { format: 'Phone' }),
    ...addressAttributes,
    memo('description', 'Description', 2000),
    bool('donotphone', 'Do not allow Phone Calls', allow),
    bool('donotbulkemail', 'Do not allow Bulk Emails', allow),
    bool('donotemail', 'Do not allow Emails', allow),
    bool('donotfax', 'Do not allow Faxes', allow),
    bool('donotsendmm', 'Send Marketing Materials', { true: 'Do Not Send', false: 'Send' }),
    picklist(
      'preferredcontactmethodcode',
      'Preferred Method of Contact',
      [
        [1, 'Any'],
        [2, 'Email'],
        [3, 'Phone'],
        [4, 'Fax'],
        [5, 'Mail'],
      ],
      { defaultValue: 1 },
    ),
    picklist('leadsourcecode', 'Lead Source', leadSourceOptions),
    lookup('transactioncurrencyid', 'Currency', 'transactioncurrency'),
    bool('merged', 'Merged', { true: 'Yes', false: 'No' }, false, systemReadOnly),
    lookup('masterid', 'Master ID', entity, systemReadOnly),
    bool('new_synctomkto', 'Sync to Marketing', { true: 'Yes', false: 'No' }, true),
    picklist('new_tier', 'Tier', tierOptions),
    // A custom key column (an id in another system) carrying the entity's alternate key.
    text('new_externalid', 'External ID', 100),
  ];
}
