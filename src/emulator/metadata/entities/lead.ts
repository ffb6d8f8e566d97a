import { integer, lookup, money, picklist, text } from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';
import { industryOptions } from './account.ts';
import { personAttributes } from './person-attributes.ts';

export const lead = () =>
  defineEntity({
    logicalName: 'lead',
    entitySetName: 'leads',
    displayName: 'Lead',
    displayCollectionName: 'Leads',
    primaryId: 'leadid',
    primaryName: 'fullname',
    objectTypeCode: 4,
    ownership: 'UserOwned',
    computedName: { from: ['firstname', 'lastname'] },
    // Like contacts: no key on the email (duplicate lead emails are normal), one on the external id.
    keys: [
      {
        logicalName: 'new_lead_externalid_key',
        displayName: 'External ID key',
        attributes: ['new_externalid'],
      },
    ],
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Qualified', defaultStatus: 3 },
      { value: 2, label: 'Disqualified', defaultStatus: 4 },
    ],
    statuses: [
      { value: 1, label: 'New', state: 0 },
      { value: 2, label: 'Contacted', state: 0 },
      { value: 3, label: 'Qualified', state: 1 },
      { value: 4, label: 'Lost', state: 2 },
      { value: 5, label: 'Cannot Contact', state: 2 },
      { value: 6, label: 'No Longer Interested', state: 2 },
      { value: 7, label: 'Canceled', state: 2 },
    ],
    attributes: [
      text('subject', 'Topic', 300, { required: 'ApplicationRequired' }),
      ...personAttributes('lead'),
      text('companyname', 'Company Name', 100),
      money('revenue', 'Annual Revenue'),
      integer('numberofemployees', 'No. of Employees', { minValue: 0, maxValue: 1000000 }),
      picklist('industrycode', 'Industry', industryOptions),
      text('websiteurl', 'Website', 200, { format: 'Url' }),
      picklist(
        'leadqualitycode',
        'Rating',
        [
          [1, 'Hot'],
          [2, 'Warm'],
          [3, 'Cold'],
        ],
        { defaultValue: 2 },
      ),
      lookup('parentaccountid', 'Parent Account for lead', 'account'),
      lookup('parentcontactid', 'Parent Contact for lead', 'contact'),
    ],
  });
