import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildRemoteExecutionContext,
  serializeContext,
} from '../../src/emulator/webhooks/remote-execution-context.ts';
import { parseRemoteExecutionContext } from '../../src/webhooks/webhook-notification.ts';

const organization = { id: 'org', name: 'Org', host: 'org.crm.dynamics.com', businessUnitId: 'bu' };
const contactId = '6D81597F-0F9F-E711-80E6-00155DB64062';
const userId = '75c2dd13-0000-0000-0000-000000000003';
const step = {
  id: '7541f0a9-0000-0000-0000-000000000004',
  message: 'Update',
  entity: 'contact',
  filteringAttributes: null,
  stage: 40,
  mode: 1,
  endpointId: 'e',
  enabled: true,
};

/** A body as Dataverse sends it: WCF JSON with `\/` escapes. */
function body(
  message: 'Create' | 'Update' | 'Delete',
  attributes = [] as { name: string; type: string; value: string }[],
) {
  const context = buildRemoteExecutionContext(
    { message, entity: 'contact', id: contactId, userId, attributes },
    { ...step, message },
    organization,
  );
  return JSON.parse(serializeContext(context)) as unknown;
}

test('B2.8: a webhook names its record and entity, lower-cased; its values are ignored', () => {
  const update = parseRemoteExecutionContext(
    body('Update', [{ name: 'firstname', type: 'String', value: 'Forged value' }]),
  );
  assert.deepEqual(update, {
    message: 'Update',
    entity: 'contact',
    ids: [contactId.toLowerCase()],
    deleted: false,
    initiatingUserId: userId,
  });
  assert.equal(parseRemoteExecutionContext(body('Delete'))?.deleted, true);
  assert.equal(parseRemoteExecutionContext(body('Create'))?.message, 'Create');
});

test('B3.5: a Merge names the master and the subordinate', () => {
  const subordinate = '11111111-2222-4333-8444-555555555555';
  const merge = parseRemoteExecutionContext({
    MessageName: 'Merge',
    PrimaryEntityName: 'contact',
    PrimaryEntityId: contactId,
    InputParameters: [
      { key: 'Target', value: { __type: 'EntityReference:…', Id: contactId, LogicalName: 'contact' } },
      { key: 'SubordinateId', value: subordinate },
      { key: 'UpdateContent', value: null },
    ],
  });
  assert.deepEqual(merge?.ids, [contactId.toLowerCase(), subordinate]);
});

test('a trimmed context (above 256 KB Dataverse drops InputParameters) still names its record', () => {
  const trimmed = { ...(body('Update') as Record<string, unknown>), InputParameters: [] };
  assert.deepEqual(parseRemoteExecutionContext(trimmed)?.ids, [contactId.toLowerCase()]);
});

test('bodies that are not a context name nothing', () => {
  for (const bad of [
    null,
    [],
    'text',
    {},
    { MessageName: 'Update', PrimaryEntityName: 'contact' },
    { MessageName: 'Update', PrimaryEntityName: 'contact', PrimaryEntityId: 'not-a-guid' },
    { MessageName: 'Update', PrimaryEntityName: 'Contact; drop', PrimaryEntityId: contactId },
    { MessageName: '', PrimaryEntityName: 'contact', PrimaryEntityId: contactId },
    { MessageName: 7, PrimaryEntityName: 'contact', PrimaryEntityId: contactId },
  ]) {
    assert.equal(parseRemoteExecutionContext(bad), undefined, JSON.stringify(bad));
  }
});
