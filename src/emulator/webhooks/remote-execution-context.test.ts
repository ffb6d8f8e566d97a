import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildRemoteExecutionContext,
  serializeContext,
  trimOversizedContext,
  wcfDate,
} from './remote-execution-context.ts';
import { applyWebhookAuth, invalidAuthValueMessage, parseAuthSettings } from './webhook-auth.ts';
import { matchingSteps } from './webhook-dispatcher.ts';
import type { RecordChangedEvent, WebhookRegistrations, WebhookStep } from './webhook-types.ts';

const organization = {
  id: '4ef5b371-0000-0000-0000-000000000001',
  name: 'OrgName',
  host: '127.0.0.1:8081',
  businessUnitId: 'e2b9c6a4-0000-0000-0000-000000000002',
};
const contactId = '6d81597f-0f9f-e711-80e6-00155db64062';
const userId = '75c2dd13-0000-0000-0000-000000000003';
const step: WebhookStep = {
  id: '7541f0a9-0000-0000-0000-000000000004',
  name: 'contact update webhook',
  message: 'Update',
  entity: 'contact',
  filteringAttributes: 'firstname,lastname',
  stage: 40,
  mode: 1,
  endpointId: 'e0000000-0000-0000-0000-000000000005',
  enabled: true,
};
const update: RecordChangedEvent = {
  message: 'Update',
  entity: 'contact',
  id: contactId,
  userId,
  at: 1506384247000,
  attributes: [
    { name: 'firstname', type: 'String', value: 'James' },
    { name: 'contactid', type: 'Uniqueidentifier', value: contactId },
    { name: 'modifiedon', type: 'DateTime', value: 1506384247000 },
    { name: 'modifiedby', type: 'Lookup', value: userId, target: 'systemuser' },
  ],
  primaryName: { attribute: 'fullname', value: 'James Glynn (sample)' },
};
const ids = {
  correlationId: 'b374239d-0000-0000-0000-000000000006',
  operationId: '4af1f3d2-0000-0000-0000-000000000007',
};

test('an Update context has the reference §11 shape, keys in the service order', () => {
  const context = buildRemoteExecutionContext(update, step, organization, ids);
  assert.deepEqual(Object.keys(context), [
    'BusinessUnitId',
    'CorrelationId',
    'Depth',
    'InitiatingUserId',
    'InputParameters',
    'IsExecutingOffline',
    'IsInTransaction',
    'IsOfflinePlayback',
    'IsolationMode',
    'MessageName',
    'Mode',
    'OperationCreatedOn',
    'OperationId',
    'OrganizationId',
    'OrganizationName',
    'OutputParameters',
    'OwningExtension',
    'ParentContext',
    'PostEntityImages',
    'PreEntityImages',
    'PrimaryEntityId',
    'PrimaryEntityName',
    'RequestId',
    'SecondaryEntityName',
    'SharedVariables',
    'Stage',
    'UserId',
  ]);
  assert.equal(context.MessageName, 'Update');
  assert.equal(context.Stage, 40);
  assert.equal(context.Mode, 1);
  assert.equal(context.IsInTransaction, false);
  assert.equal(context.CorrelationId, ids.correlationId);
  assert.equal(context.SecondaryEntityName, 'none');
  assert.deepEqual(context.InputParameters, [
    {
      key: 'Target',
      value: {
        __type: 'Entity:http://schemas.microsoft.com/xrm/2011/Contracts',
        Attributes: [
          { key: 'firstname', value: 'James' },
          { key: 'contactid', value: contactId },
          { key: 'modifiedon', value: '/Date(1506384247000)/' },
          {
            key: 'modifiedby',
            value: {
              __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
              Id: userId,
              KeyAttributes: [],
              LogicalName: 'systemuser',
              Name: null,
              RowVersion: null,
            },
          },
        ],
        EntityState: null,
        FormattedValues: [],
        Id: contactId,
        KeyAttributes: [],
        LogicalName: 'contact',
        RelatedEntities: [],
        RowVersion: null,
      },
    },
  ]);
  assert.deepEqual(context.OwningExtension, {
    __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
    Id: step.id,
    KeyAttributes: [],
    LogicalName: 'sdkmessageprocessingstep',
    Name: 'contact update webhook',
    RowVersion: null,
  });
  const images = context.PostEntityImages as Array<{ key: string; value: { Attributes: unknown } }>;
  assert.equal(images[0].key, 'AsynchronousStepPrimaryName');
  assert.deepEqual(images[0].value.Attributes, [{ key: 'fullname', value: 'James Glynn (sample)' }]);
  assert.equal((context.ParentContext as { Stage: number }).Stage, 30);
  assert.equal(context.OperationCreatedOn, '/Date(1506384247000+0000)/');
});

test('serialization escapes slashes like WCF', () => {
  const json = serializeContext(buildRemoteExecutionContext(update, step, organization, ids));
  assert.ok(json.includes('"\\/Date(1506384247000)\\/"'));
  assert.ok(json.includes('"Entity:http:\\/\\/schemas.microsoft.com\\/xrm\\/2011\\/Contracts"'));
  assert.equal((JSON.parse(json) as { MessageName: string }).MessageName, 'Update', 'still valid JSON');
});

test('Create carries the new id as output; Delete targets an EntityReference without images', () => {
  const create = buildRemoteExecutionContext(
    {
      ...update,
      message: 'Create',
      attributes: [
        { name: 'revenue', type: 'Money', value: 12.5 },
        { name: 'leadsourcecode', type: 'Picklist', value: 3 },
        { name: 'new_tags', type: 'MultiSelectPicklist', value: '1,2' },
        { name: 'donotemail', type: 'Boolean', value: true },
        { name: 'description', type: 'Memo', value: null },
      ],
    },
    { ...step, message: 'Create' },
    organization,
    ids,
  );
  assert.deepEqual(create.OutputParameters, [{ key: 'id', value: contactId }]);
  const target = (
    create.InputParameters as Array<{ value: { Attributes: Array<{ key: string; value: unknown }> } }>
  )[0];
  assert.deepEqual(target.value.Attributes, [
    {
      key: 'revenue',
      value: { __type: 'Money:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 12.5 },
    },
    {
      key: 'leadsourcecode',
      value: { __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 3 },
    },
    {
      key: 'new_tags',
      value: [
        { __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 1 },
        { __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 2 },
      ],
    },
    { key: 'donotemail', value: true },
    { key: 'description', value: null },
  ]);

  const del = buildRemoteExecutionContext(
    { ...update, message: 'Delete', attributes: [] },
    { ...step, message: 'Delete' },
    organization,
    ids,
  );
  assert.deepEqual(del.InputParameters, [
    {
      key: 'Target',
      value: {
        __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
        Id: contactId,
        KeyAttributes: [],
        LogicalName: 'contact',
        Name: null,
        RowVersion: null,
      },
    },
  ]);
  assert.deepEqual(del.PostEntityImages, []);
  assert.equal(wcfDate(0), '/Date(0)/');
});

test('an oversized context drops InputParameters, ParentContext and images', () => {
  const trimmed = trimOversizedContext(buildRemoteExecutionContext(update, step, organization, ids));
  assert.deepEqual(trimmed.InputParameters, []);
  assert.equal(trimmed.ParentContext, null);
  assert.deepEqual(trimmed.PostEntityImages, []);
  assert.equal(trimmed.MessageName, 'Update');
});

test('steps match by message, entity, stage, state and filtering attributes', () => {
  const endpoint = {
    id: step.endpointId,
    contract: 8,
    url: 'http://127.0.0.1:1/hook',
    authtype: 4,
    authvalue: 'k',
  };
  const registrations = (steps: WebhookStep[], contract = 8): WebhookRegistrations => ({
    endpoints: [{ ...endpoint, contract }],
    steps,
  });
  const fires = (event: RecordChangedEvent, s: WebhookStep, contract?: number) =>
    matchingSteps(event, registrations([s], contract)).length === 1;
  assert.equal(fires(update, step), true);
  assert.equal(fires(update, { ...step, filteringAttributes: 'emailaddress1' }), false);
  assert.equal(
    fires({ ...update, attributes: update.attributes.filter((a) => a.name.startsWith('modified')) }, step),
    false,
    'system-maintained columns do not satisfy a filter',
  );
  assert.equal(fires(update, { ...step, filteringAttributes: null }), true);
  assert.equal(fires(update, { ...step, entity: 'lead' }), false);
  assert.equal(fires(update, { ...step, entity: null }), true);
  assert.equal(fires(update, { ...step, message: 'Create' }), false);
  assert.equal(fires(update, { ...step, stage: 20 }), false);
  assert.equal(fires(update, { ...step, enabled: false }), false);
  assert.equal(fires(update, step, 4), false, 'only webhook contracts (8)');
  assert.equal(
    fires({ ...update, message: 'Create' }, { ...step, message: 'create' }),
    true,
    'filters apply to Update only',
  );
});

test('auth values: webhook key as ?code=, header and query-string settings XML', () => {
  const base = { id: 'e', contract: 8, url: 'https://hooks.example/in?x=1' };
  assert.equal(applyWebhookAuth({ ...base, authtype: 4, authvalue: 'k&1' }).url.search, '?x=1&code=k%261');
  const settings =
    '<settings><setting name="x-api-key" value="abc" /><setting name="x-two" value="2" /></settings>';
  assert.deepEqual(applyWebhookAuth({ ...base, authtype: 5, authvalue: settings }).headers, {
    'x-api-key': 'abc',
    'x-two': '2',
  });
  assert.equal(
    applyWebhookAuth({ ...base, authtype: 6, authvalue: settings }).url.search,
    '?x=1&x-api-key=abc&x-two=2',
  );
  assert.throws(() => applyWebhookAuth({ ...base, authtype: 5, authvalue: 'Authorization: Basic abc' }), {
    message: invalidAuthValueMessage,
  });
  assert.equal(parseAuthSettings('<settings><setting value="v" /></settings>'), undefined);
});
