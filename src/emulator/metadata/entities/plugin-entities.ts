import { bool, integer, lookup, memo, picklist, text } from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/** Webhook registration tables (reference §11): the protocol module delivers, these rows configure it. */

export const serviceendpoint = () =>
  defineEntity({
    logicalName: 'serviceendpoint',
    schemaName: 'ServiceEndpoint',
    entitySetName: 'serviceendpoints',
    displayName: 'Service Endpoint',
    displayCollectionName: 'Service Endpoints',
    primaryId: 'serviceendpointid',
    primaryName: 'name',
    objectTypeCode: 4618,
    ownership: 'OrganizationOwned',
    attributes: [
      text('name', 'Name', 256, { required: 'SystemRequired' }),
      text('url', 'Url', 2000, { format: 'Url' }),
      text('namespaceaddress', 'Namespace Address', 255),
      picklist('contract', 'Contract', [
        [1, 'OneWay'],
        [2, 'Queue'],
        [3, 'Rest'],
        [4, 'TwoWay'],
        [5, 'Topic'],
        [6, 'Queue (Persistent)'],
        [7, 'Event Hub'],
        [8, 'Webhook'],
        [9, 'Event Grid'],
        [10, 'Managed Data Lake'],
      ]),
      picklist('authtype', 'Authorization Type', [
        [1, 'ACS'],
        [2, 'SAS Key'],
        [3, 'SAS Token'],
        [4, 'Webhook Key'],
        [5, 'Http Header'],
        [6, 'Http Query String'],
        [7, 'Connection String'],
        [8, 'Access Key'],
        [9, 'Managed Identity'],
      ]),
      // Secrets are write-only in Dataverse: the value is never returned.
      text('authvalue', 'Authorization Value', 4000, { validForRead: false }),
      picklist(
        'messageformat',
        'Message Format',
        [
          [1, 'Binary XML'],
          [2, 'Json'],
          [3, 'Text XML'],
        ],
        { defaultValue: 2 },
      ),
      memo('description', 'Description', 2000),
    ],
  });

export const sdkmessage = () =>
  defineEntity({
    logicalName: 'sdkmessage',
    schemaName: 'SdkMessage',
    entitySetName: 'sdkmessages',
    displayName: 'Sdk Message',
    displayCollectionName: 'Sdk Messages',
    primaryId: 'sdkmessageid',
    primaryName: 'name',
    objectTypeCode: 4606,
    ownership: 'OrganizationOwned',
    attributes: [text('name', 'Name', 256, { required: 'SystemRequired' })],
  });

export const sdkmessagefilter = () =>
  defineEntity({
    logicalName: 'sdkmessagefilter',
    schemaName: 'SdkMessageFilter',
    entitySetName: 'sdkmessagefilters',
    displayName: 'Sdk Message Filter',
    displayCollectionName: 'Sdk Message Filters',
    primaryId: 'sdkmessagefilterid',
    primaryName: 'primaryobjecttypecode',
    objectTypeCode: 4607,
    ownership: 'OrganizationOwned',
    attributes: [
      lookup('sdkmessageid', 'SDK Message', 'sdkmessage'),
      text('primaryobjecttypecode', 'Primary Object Type Code', 128),
    ],
  });

export const sdkmessageprocessingstep = () =>
  defineEntity({
    logicalName: 'sdkmessageprocessingstep',
    schemaName: 'SdkMessageProcessingStep',
    entitySetName: 'sdkmessageprocessingsteps',
    displayName: 'Sdk Message Processing Step',
    displayCollectionName: 'Sdk Message Processing Steps',
    primaryId: 'sdkmessageprocessingstepid',
    primaryName: 'name',
    objectTypeCode: 4608,
    ownership: 'UserOwned',
    states: [
      { value: 0, label: 'Enabled', defaultStatus: 1 },
      { value: 1, label: 'Disabled', defaultStatus: 2 },
    ],
    statuses: [
      { value: 1, label: 'Enabled', state: 0 },
      { value: 2, label: 'Disabled', state: 1 },
    ],
    attributes: [
      text('name', 'Name', 256),
      lookup('sdkmessageid', 'SDK Message', 'sdkmessage', { required: 'SystemRequired' }),
      lookup('sdkmessagefilterid', 'SdkMessage Filter', 'sdkmessagefilter'),
      lookup('eventhandler', 'Event Handler', 'serviceendpoint', {
        navigation: { serviceendpoint: 'eventhandler_serviceendpoint' },
      }),
      picklist('stage', 'Execution Stage', [
        [10, 'Pre-validation'],
        [20, 'Pre-operation'],
        [30, 'Main Operation'],
        [40, 'Post-operation'],
      ]),
      picklist(
        'mode',
        'Execution Mode',
        [
          [0, 'Synchronous'],
          [1, 'Asynchronous'],
        ],
        { defaultValue: 0 },
      ),
      integer('rank', 'Execution Order', { defaultValue: 1 }),
      picklist(
        'supporteddeployment',
        'Deployment',
        [
          [0, 'Server Only'],
          [1, 'Microsoft Dynamics 365 Client for Outlook Only'],
          [2, 'Both'],
        ],
        { defaultValue: 0 },
      ),
      text('filteringattributes', 'Filtering Attributes', 100000),
      bool('asyncautodelete', 'Asynchronous Automatic Delete'),
      memo('description', 'Description', 2000),
    ],
  });
