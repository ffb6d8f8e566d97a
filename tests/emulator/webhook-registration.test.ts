import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { adminToken, openEmulator, type EmulatorContext } from './emulator-test-context.ts';
import { openHookReceiver, type HookReceiver } from './hook-receiver.ts';
import { createEndpoint, registerStep, removeWebhook, renameContact } from './webhook-steps.ts';

/**
 * Registering webhooks over the Web API the way Microsoft's table references describe them ("ServiceEndpoint
 * table/entity reference", "SdkMessageProcessingStep table/entity reference", "Register a WebHook"):
 * `authvalue` is writable and never returned; the other documented writable columns are accepted.
 */
describe('emulator webhooks: registration over the Web API (reference §11)', () => {
  let ctx: EmulatorContext;
  let hooks: HookReceiver;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 3, accounts: 1, leads: 1 });
    hooks = await openHookReceiver();
  });
  after(async () => {
    await ctx.close();
    await hooks.close();
  });

  const admin = { token: adminToken };
  test('authvalue and the documented writable columns are accepted; authvalue is never returned', async () => {
    const endpoint = await createEndpoint(ctx, {
      name: 'syncline',
      contract: 8,
      url: hooks.url,
      authtype: 4,
      authvalue: 'secret-key-1',
      messageformat: 2,
      namespaceformat: 2,
      path: 'hooks',
      userclaim: 1,
      connectionmode: 1,
      messagecharset: 1,
      solutionnamespace: 'syncline',
    });
    const read = await ctx.request('GET', `serviceendpoints(${endpoint.id})`, admin);
    assert.equal(read.status, 200, read.text);
    assert.equal('authvalue' in read.json, false, 'a read without $select leaves authvalue out');
    assert.doesNotMatch(read.text, /secret-key-1/);
    assert.equal(read.json.isauthvalueset, true);
    assert.equal(read.json.namespaceformat, 2);
    assert.equal(read.json.path, 'hooks');
    assert.equal(read.json.messagecharset, 1);
    assert.equal(read.json.solutionnamespace, 'syncline');

    const selected = await ctx.request(
      'GET',
      `serviceendpoints(${endpoint.id})?$select=authvalue,authtype`,
      admin,
    );
    assert.equal(selected.status, 200, selected.text);
    assert.equal(selected.json.authvalue, null, 'selecting it gives null, never the secret');
    const property = await ctx.request('GET', `serviceendpoints(${endpoint.id})/authvalue`, admin);
    assert.equal(property.json.value, null);
    const probe = await ctx.request(
      'GET',
      `serviceendpoints?$select=name&$filter=authvalue eq 'secret-key-1'`,
      admin,
    );
    assert.deepEqual(probe.json.value, [], 'a filter cannot be used to guess the secret');

    const metadata = await ctx.request(
      'GET',
      `EntityDefinitions(LogicalName='serviceendpoint')/Attributes(LogicalName='authvalue')`,
      admin,
    );
    assert.equal(metadata.json.IsValidForRead, false);
    assert.equal(metadata.json.IsValidForCreate, true);
    assert.equal(metadata.json.MaxLength, 2048);
  });

  test('an endpoint without authvalue reports isauthvalueset false; defaults fill the required columns', async () => {
    const endpoint = await createEndpoint(ctx, { name: 'bare', contract: 8, url: hooks.url, authtype: 4 });
    const read = await ctx.request(
      'GET',
      `serviceendpoints(${endpoint.id})?$select=isauthvalueset,connectionmode,userclaim`,
      admin,
    );
    assert.equal(read.json.isauthvalueset, false);
    assert.equal(read.json.connectionmode, 1);
    assert.equal(read.json.userclaim, 1);
  });

  test('a WebhookKey registered over HTTP arrives as ?code=<authvalue>; PATCH changes it', async () => {
    hooks.received.length = 0;
    const endpoint = await createEndpoint(ctx, {
      name: 'keyed',
      contract: 8,
      url: `${hooks.url}?tenant=a`,
      authtype: 4,
      authvalue: 'key&one',
    });
    const stepId = await registerStep(ctx, endpoint.url, { filteringattributes: 'firstname' });
    try {
      await renameContact(ctx, 'Keyed');
      assert.equal(hooks.received.length, 1);
      const first = new URL(hooks.received[0].url, hooks.url);
      assert.equal(first.searchParams.get('code'), 'key&one');
      assert.equal(first.searchParams.get('tenant'), 'a', 'the endpoint URL keeps its own query');

      const patched = await ctx.request('PATCH', `serviceendpoints(${endpoint.id})`, {
        ...admin,
        body: { authvalue: 'key-two' },
      });
      assert.equal(patched.status, 204, patched.text);
      await renameContact(ctx, 'Rekeyed');
      assert.equal(new URL(hooks.received[1].url, hooks.url).searchParams.get('code'), 'key-two');
    } finally {
      await removeWebhook(ctx, endpoint.id, [stepId]);
    }
  });

  test('HttpHeader and HttpQueryString auth values registered over HTTP arrive as headers / query parameters', async () => {
    hooks.received.length = 0;
    const settings = '<settings><setting name="x-api-key" value="hdr-secret" /></settings>';
    const header = await createEndpoint(ctx, {
      name: 'header',
      contract: 8,
      url: hooks.url,
      authtype: 5,
      authvalue: settings,
    });
    const query = await createEndpoint(ctx, {
      name: 'query',
      contract: 8,
      url: hooks.url,
      authtype: 6,
      authvalue: settings,
    });
    const headerStep = await registerStep(ctx, header.url);
    const queryStep = await registerStep(ctx, query.url);
    try {
      await renameContact(ctx, 'Twice');
      assert.equal(hooks.received.length, 2);
      const byHeader = hooks.received.find((hook) => hook.headers['x-api-key'] !== undefined);
      assert.equal(byHeader?.headers['x-api-key'], 'hdr-secret');
      assert.equal(new URL(byHeader.url, hooks.url).search, '');
      const byQuery = hooks.received.find((hook) => hook !== byHeader);
      assert.equal(new URL(byQuery!.url, hooks.url).searchParams.get('x-api-key'), 'hdr-secret');
    } finally {
      await removeWebhook(ctx, header.id, [headerStep]);
      await removeWebhook(ctx, query.id, [queryStep]);
    }
  });

  test('steps accept configuration, canusereadonlyconnection, invocationsource and impersonatinguserid', async () => {
    const endpoint = await createEndpoint(ctx, { name: 'steps', contract: 8, url: hooks.url, authtype: 4 });
    const stepId = await registerStep(ctx, endpoint.url, {
      configuration: '{"note":"unused by webhooks"}',
      canusereadonlyconnection: false,
      invocationsource: 0,
      'impersonatinguserid@odata.bind': `/systemusers(${emulatorFixtures.adminUserId})`,
    });
    try {
      const read = await ctx.request(
        'GET',
        `sdkmessageprocessingsteps(${stepId})?$select=configuration,canusereadonlyconnection,invocationsource,_impersonatinguserid_value`,
        admin,
      );
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.configuration, '{"note":"unused by webhooks"}');
      assert.equal(read.json.canusereadonlyconnection, false);
      assert.equal(read.json.invocationsource, 0);
      assert.equal(read.json._impersonatinguserid_value, emulatorFixtures.adminUserId);

      const bare = await registerStep(ctx, endpoint.url);
      const defaults = await ctx.request(
        'GET',
        `sdkmessageprocessingsteps(${bare})?$select=invocationsource,canusereadonlyconnection`,
        admin,
      );
      assert.equal(defaults.json.invocationsource, 0, 'Parent, the documented default');
      assert.equal(defaults.json.canusereadonlyconnection, false);
      await ctx.request('DELETE', `sdkmessageprocessingsteps(${bare})`, admin);
    } finally {
      await removeWebhook(ctx, endpoint.id, [stepId]);
    }
  });
});
