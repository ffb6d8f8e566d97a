import { customer, dateTime, integer, lookup, memo, money, picklist, text } from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/** Opportunities and tasks: synced one way (opportunities) or created by flow actions (tasks). */

export const opportunity = () =>
  defineEntity({
    logicalName: 'opportunity',
    entitySetName: 'opportunities',
    displayName: 'Opportunity',
    displayCollectionName: 'Opportunities',
    primaryId: 'opportunityid',
    primaryName: 'name',
    objectTypeCode: 3,
    ownership: 'UserOwned',
    states: [
      { value: 0, label: 'Open', defaultStatus: 1 },
      { value: 1, label: 'Won', defaultStatus: 3 },
      { value: 2, label: 'Lost', defaultStatus: 4 },
    ],
    statuses: [
      { value: 1, label: 'In Progress', state: 0 },
      { value: 2, label: 'On Hold', state: 0 },
      { value: 3, label: 'Won', state: 1 },
      { value: 4, label: 'Canceled', state: 2 },
      { value: 5, label: 'Out-Sold', state: 2 },
    ],
    attributes: [
      text('name', 'Topic', 300, { required: 'ApplicationRequired' }),
      customer('customerid', 'Potential Customer'),
      money('estimatedvalue', 'Est. Revenue'),
      dateTime('estimatedclosedate', 'Est. Close Date', { format: 'DateOnly' }),
      integer('closeprobability', 'Probability', { minValue: 0, maxValue: 100 }),
      picklist(
        'opportunityratingcode',
        'Rating',
        [
          [1, 'Hot'],
          [2, 'Warm'],
          [3, 'Cold'],
        ],
        { defaultValue: 2 },
      ),
      text('stepname', 'Pipeline Phase', 200),
      memo('description', 'Description', 2000),
      lookup('parentcontactid', 'Contact', 'contact'),
      lookup('parentaccountid', 'Account', 'account'),
      lookup('originatingleadid', 'Originating Lead', 'lead'),
      lookup('transactioncurrencyid', 'Currency', 'transactioncurrency'),
    ],
  });

export const task = () =>
  defineEntity({
    logicalName: 'task',
    entitySetName: 'tasks',
    displayName: 'Task',
    displayCollectionName: 'Tasks',
    primaryId: 'activityid',
    primaryName: 'subject',
    objectTypeCode: 4212,
    ownership: 'UserOwned',
    states: [
      { value: 0, label: 'Open', defaultStatus: 2 },
      { value: 1, label: 'Completed', defaultStatus: 5 },
      { value: 2, label: 'Canceled', defaultStatus: 6 },
    ],
    statuses: [
      { value: 2, label: 'Not Started', state: 0 },
      { value: 3, label: 'In Progress', state: 0 },
      { value: 4, label: 'Waiting on someone else', state: 0 },
      { value: 7, label: 'Deferred', state: 0 },
      { value: 5, label: 'Completed', state: 1 },
      { value: 6, label: 'Canceled', state: 2 },
    ],
    attributes: [
      text('subject', 'Subject', 200, { required: 'ApplicationRequired' }),
      memo('description', 'Description', 2000),
      dateTime('scheduledend', 'Due Date'),
      picklist(
        'prioritycode',
        'Priority',
        [
          [0, 'Low'],
          [1, 'Normal'],
          [2, 'High'],
        ],
        { defaultValue: 1 },
      ),
      {
        ...lookup('regardingobjectid', 'Regarding', 'contact'),
        targets: ['contact', 'account', 'lead', 'opportunity'],
        navigation: {
          contact: 'regardingobjectid_contact_task',
          account: 'regardingobjectid_account_task',
          lead: 'regardingobjectid_lead_task',
          opportunity: 'regardingobjectid_opportunity_task',
        },
        typeColumn: 'regardingobjecttypecode',
      },
    ],
  });
