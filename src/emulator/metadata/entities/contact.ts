import {
  customer,
  integer,
  lookup,
  money,
  multiSelect,
  picklist,
  dateTime,
} from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';
import { personAttributes } from './person-attributes.ts';

export const contact = () =>
  defineEntity({
    logicalName: 'contact',
    entitySetName: 'contacts',
    displayName: 'Contact',
    displayCollectionName: 'Contacts',
    primaryId: 'contactid',
    primaryName: 'fullname',
    objectTypeCode: 2,
    ownership: 'UserOwned',
    computedName: { from: ['firstname', 'lastname'] },
    // No key on emailaddress1: real organisations have none by default and several records may share an
    // email (B3.2). Upsert by alternate key goes through a custom external-id column instead
    // (`contacts(new_externalid='X-1')`, reference §3.3): unique among non-empty values, compared
    // case-insensitively like SQL Server's default collation.
    keys: [
      {
        logicalName: 'new_contact_externalid_key',
        displayName: 'External ID key',
        attributes: ['new_externalid'],
      },
    ],
    states: [
      { value: 0, label: 'Active', defaultStatus: 1 },
      { value: 1, label: 'Inactive', defaultStatus: 2 },
    ],
    statuses: [
      { value: 1, label: 'Active', state: 0 },
      { value: 2, label: 'Inactive', state: 1 },
    ],
    attributes: [
      ...personAttributes('contact'),
      customer('parentcustomerid', 'Company Name'),
      lookup('originatingleadid', 'Originating Lead', 'lead'),
      picklist('gendercode', 'Gender', [
        [1, 'Male'],
        [2, 'Female'],
      ]),
      dateTime('birthdate', 'Birthday', { format: 'DateOnly' }),
      picklist('accountrolecode', 'Role', [
        [1, 'Decision Maker'],
        [2, 'Employee'],
        [3, 'Influencer'],
      ]),
      money('annualincome', 'Annual Income'),
      multiSelect('new_interests', 'Interests', [
        [100000000, 'Webinars'],
        [100000001, 'Newsletters'],
        [100000002, 'Events'],
        [100000003, 'Product updates'],
      ]),
      // The demo's secured column: the sync user's field security profile grants nothing on it.
      integer('new_creditscore', 'Credit Score', { secured: true, minValue: 300, maxValue: 850 }),
    ],
  });
