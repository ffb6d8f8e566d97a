import { bool, integer, lookup, memo, picklist, systemReadOnly, text } from '../attribute-definition.ts';
import { defineEntity } from '../entity-definition.ts';

/**
 * Webhook registration tables (reference §11): the protocol module delivers, these rows configure it. Columns,
 * lengths, options and required levels are those of Microsoft's table references ("ServiceEndpoint table/entity
 * reference", "SdkMessageProcessingStep table/entity reference", learn.microsoft.com/power-apps/developer/
 * data-platform/reference/entities/…), so that a client registering a webhook over the Web API works unchanged.
 */

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
      // Write-only (IsValidForRead False): accepted on create and update, never returned; isauthvalueset says
      // whether one is stored.
      text('authvalue', 'Authentication Value', 2048, { validForRead: false }),
      bool('isauthvalueset', 'Is Auth Value Set', undefined, false, {
        ...systemReadOnly,
        isSetFlagOf: 'authvalue',
      }),
      // SystemRequired in the reference; the defaults are the first option, as a client that follows the
      // webhook docs never sends these (the docs do not say what the service fills in).
      picklist(
        'connectionmode',
        'Connection Mode',
        [
          [1, 'Normal'],
          [2, 'Federated'],
        ],
        { required: 'SystemRequired', defaultValue: 1 },
      ),
      picklist(
        'userclaim',
        'User Claim',
        [
          [1, 'None'],
          [2, 'UserId'],
          [3, 'UserInfo'],
        ],
        { required: 'SystemRequired', defaultValue: 1 },
      ),
      picklist('namespaceformat', 'Format of Service Bus Namespace', [
        [1, 'Namespace Name'],
        [2, 'Namespace Address'],
      ]),
      picklist(
        'messagecharset',
        'Specifies the character encoding to be used for messages sent to a service endpoint',
        [
          [0, 'Default'],
          [1, 'UTF8'],
        ],
      ),
      // SystemRequired in the reference, but Service Bus settings a webhook has no use for; the docs do not say
      // the service rejects a webhook without them, so the emulator does not require them.
      text('path', 'Path', 160),
      text('solutionnamespace', 'Service Namespace', 160),
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
      bool('asyncautodelete', 'Asynchronous Automatic Delete', undefined, false, {
        required: 'SystemRequired',
      }),
      memo('description', 'Description', 2000),
      // Step-specific configuration; the webhook docs say a webhook step cannot use it, the table accepts it.
      text('configuration', 'Configuration', 1073741823),
      bool('canusereadonlyconnection', 'Intent', undefined, false, { required: 'SystemRequired' }),
      picklist(
        'invocationsource',
        'Invocation Source',
        [
          [-1, 'Internal'],
          [0, 'Parent'],
          [1, 'Child'],
        ],
        { required: 'SystemRequired', defaultValue: 0 },
      ),
      lookup('impersonatinguserid', 'Impersonating User', 'systemuser'),
    ],
  });
