import { dateTime, lookup, money, picklist, text } from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/** The demo's custom entity (interfaces.md §7): a subscription with a lookup to its contact. */
export const newSubscription = () =>
  defineEntity({
    logicalName: 'new_subscription',
    schemaName: 'new_Subscription',
    entitySetName: 'new_subscriptions',
    displayName: 'Subscription',
    displayCollectionName: 'Subscriptions',
    primaryId: 'new_subscriptionid',
    primaryName: 'new_name',
    objectTypeCode: 10001,
    ownership: 'UserOwned',
    states: [
      { value: 0, label: 'Active', defaultStatus: 1 },
      { value: 1, label: 'Inactive', defaultStatus: 2 },
    ],
    statuses: [
      { value: 1, label: 'Active', state: 0 },
      { value: 2, label: 'Inactive', state: 1 },
    ],
    attributes: [
      // SystemRequired so that the emulator has a column whose absence the platform itself rejects (0x80040200).
      text('new_name', 'Name', 100, { required: 'SystemRequired' }),
      // Custom lookups bind through their schema name (`new_ContactId@odata.bind`), like real Dataverse.
      lookup('new_contactid', 'Contact', 'contact', {
        schemaName: 'new_ContactId',
        navigation: { contact: 'new_ContactId' },
      }),
      picklist('new_plan', 'Plan', [
        [100000000, 'Basic'],
        [100000001, 'Pro'],
        [100000002, 'Enterprise'],
      ]),
      dateTime('new_startdate', 'Start Date', { format: 'DateOnly' }),
      money('new_monthlyfee', 'Monthly Fee'),
      lookup('transactioncurrencyid', 'Currency', 'transactioncurrency'),
    ],
  });
