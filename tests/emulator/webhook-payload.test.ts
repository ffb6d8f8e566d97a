import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { adminToken, openEmulator, type EmulatorContext } from './emulator-test-context.ts';
import { openHookReceiver, type HookReceiver } from './hook-receiver.ts';
import { createEndpoint, registerStep, removeWebhook, renameContact } from './webhook-steps.ts';

interface Entity {
  Id: string;
  LogicalName: string;
  Attributes: Array<{ key: string; value: unknown }>;
}
interface Context {
  PrimaryEntityId: string;
  PrimaryEntityName: string;
  InputParameters: Array<{ key: string; value: Entity }>;
  ParentContext: { Stage: number; InputParameters: Array<{ key: string; value: Entity }> } | null;
  PostEntityImages: Array<{ key: string; value: Entity }>;
  PreEntityImages: unknown[];
}

/**
 * What an Update webhook carries, measured against Microsoft's example body and the 256 KB rule ("Use
 * webhooks to create external handlers for server events").
 */
describe('emulator webhooks: payload contents (reference §11)', () => {
  let ctx: EmulatorContext;
  let hooks: HookReceiver;
  let endpointId = '';
  let stepId = '';
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 2, accounts: 1, leads: 1 });
    hooks = await openHookReceiver();
    const endpoint = await createEndpoint(ctx, {
      name: 'payload',
      contract: 8,
      url: hooks.url,
      authtype: 4,
      authvalue: 'k',
    });
    endpointId = endpoint.id;
    stepId = await registerStep(ctx, endpoint.url, { filteringattributes: 'firstname,description' });
  });
  after(async () => {
    await removeWebhook(ctx, endpointId, [stepId]);
    await ctx.close();
    await hooks.close();
  });

  test("an Update's Target carries the id and what the platform set with the change, as Microsoft's example", async () => {
    hooks.received.length = 0;
    const contactId = await renameContact(ctx, 'James');
    assert.equal(hooks.received.length, 1);
    const context = JSON.parse(hooks.received[0].body) as Context;
    const target = context.InputParameters[0].value;
    assert.deepEqual(
      target.Attributes.map((a) => a.key),
      ['firstname', 'contactid', 'fullname', 'modifiedon', 'modifiedby', 'modifiedonbehalfby'],
    );
    const value = (key: string) => target.Attributes.find((a) => a.key === key)?.value;
    assert.equal(value('contactid'), contactId);
    const row = await ctx.request('GET', `contacts(${contactId})?$select=fullname,modifiedon`);
    assert.equal(value('fullname'), row.json.fullname);
    assert.match(String(value('modifiedon')), /^\/Date\(\d+\)\/$/);
    assert.equal(
      new Date(Number(/\d+/.exec(String(value('modifiedon')))![0])).toISOString(),
      new Date(row.json.modifiedon).toISOString(),
    );
    assert.deepEqual(value('modifiedby'), {
      __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
      Id: emulatorFixtures.syncUserId,
      KeyAttributes: [],
      LogicalName: 'systemuser',
      Name: null,
      RowVersion: null,
    });
    assert.equal(value('modifiedonbehalfby'), null);
    assert.equal(context.ParentContext?.Stage, 30);
    assert.deepEqual(
      context.ParentContext?.InputParameters[0].value.Attributes.map((a) => a.key),
      ['firstname', 'contactid'],
      "the parent's Target is the request as sent",
    );
    assert.deepEqual(
      context.PostEntityImages[0].value.Attributes.map((a) => a.key),
      ['fullname', 'contactid'],
    );
    assert.equal(hooks.received[0].headers['x-ms-dynamics-msg-size-exceeded'], undefined);
  });

  test('a body over 256 KB drops InputParameters, ParentContext and images and says so in a header', async () => {
    hooks.received.length = 0;
    const contacts = await ctx.request('GET', 'contacts?$top=1&$select=contactid&$orderby=contactid');
    const contactId = contacts.json.value[0].contactid as string;
    // description is a Memo of 2,000 characters in Dataverse; a custom Memo holds up to 1,048,576.
    const column = await ctx.request('POST', `EntityDefinitions(LogicalName='contact')/Attributes`, {
      token: adminToken,
      body: {
        '@odata.type': 'Microsoft.Dynamics.CRM.MemoAttributeMetadata',
        AttributeType: 'Memo',
        AttributeTypeName: { Value: 'MemoType' },
        SchemaName: 'new_Notes',
        DisplayName: {
          '@odata.type': 'Microsoft.Dynamics.CRM.Label',
          LocalizedLabels: [
            { '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: 'Notes', LanguageCode: 1033 },
          ],
        },
        RequiredLevel: { Value: 'None', CanBeChanged: true },
        MaxLength: 1_048_576,
      },
    });
    assert.equal(column.status, 204, column.text);
    const patched = await ctx.request('PATCH', `contacts(${contactId})`, {
      body: { firstname: 'Big', new_notes: 'x'.repeat(300 * 1024) },
    });
    assert.equal(patched.status, 204, patched.text);
    await ctx.emulator.webhooks.idle();

    assert.equal(hooks.received.length, 1);
    const [hook] = hooks.received;
    assert.equal(hook.headers['x-ms-dynamics-msg-size-exceeded'], 'true');
    assert.ok(Buffer.byteLength(hook.body) <= 256 * 1024);
    const context = JSON.parse(hook.body) as Context;
    assert.deepEqual(context.InputParameters, []);
    assert.equal(context.ParentContext, null);
    assert.deepEqual(context.PostEntityImages, []);
    assert.deepEqual(context.PreEntityImages, []);
    assert.equal(context.PrimaryEntityId, contactId, 'the record id survives');
    assert.equal(context.PrimaryEntityName, 'contact');
    assert.equal(hook.headers['x-ms-dynamics-entity-name'], 'contact');
  });
});
