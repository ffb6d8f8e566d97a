import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openHookReceiver, type HookReceiver } from '../emulator/hook-receiver.ts';

/**
 * B2.8: the connector registers Syncline's webhook over the Web API (reference §11) — one `serviceendpoint`
 * (contract Webhook, WebhookKey) and asynchronous post-operation steps — idempotently, and removes it. Against
 * the emulator over real HTTP, with the sync user's credentials.
 */
describe('connector: webhook registration (B2.8)', () => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let crm: DataverseConnector;
  let hooks: HookReceiver;
  before(async () => {
    emulator = await startEmulator({ port: 0, seed: { seed: 'demo', contacts: 3, leads: 1, accounts: 1 } });
    crm = new DataverseConnector({
      url: emulator.url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
      retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100, budgetMs: 5_000 },
    });
    hooks = await openHookReceiver();
  });
  after(async () => {
    await crm.close();
    await emulator.close();
    await hooks.close();
  });

  const steps = [
    { entity: 'contact', message: 'Create' },
    { entity: 'contact', message: 'Update' },
    { entity: 'contact', message: 'Delete' },
    { entity: 'contact', message: 'Merge' },
    { entity: 'lead', message: 'Update' },
  ];
  /** A CRM edit that a registered Update step of contact delivers; waits for the delivery. */
  const touchContact = async (firstname: string) => {
    hooks.received.length = 0;
    const pages = crm.readAll('contact', ['firstname'])[Symbol.asyncIterator]();
    const contact = (await pages.next()).value!.records[0]!;
    await crm.write([{ kind: 'update', entity: 'contact', id: contact.id, values: { firstname } }]);
    await emulator.webhooks.idle();
  };
  const install = (key: string, wanted = steps) =>
    crm.installWebhook({ url: hooks.url, key, name: 'Syncline', steps: wanted });
  const byKey = (list: readonly { entity: string; message: string }[]) =>
    list.map((step) => `${step.entity}/${step.message}`).sort();

  test('install creates the endpoint and the steps the organisation offers; again, it changes nothing', async () => {
    const first = await install('first-key-0123456789');
    assert.equal(first.endpoint, 'created');
    assert.deepEqual(byKey(first.created), [
      'contact/Create',
      'contact/Delete',
      'contact/Update',
      'lead/Update',
    ]);
    assert.deepEqual(byKey(first.unavailable), ['contact/Merge'], 'the emulator has no Merge message filter');

    const [registration, ...others] = await crm.findWebhooks(hooks.url);
    assert.deepEqual(others, []);
    assert.equal(registration!.endpointId, first.endpointId);
    assert.equal(registration!.authType, 4, 'WebhookKey');
    assert.deepEqual(byKey(registration!.steps), byKey(first.created));
    assert.ok(registration!.steps.every((step) => step.enabled && step.stage === 40 && step.mode === 1));

    const again = await install('second-key-0123456789');
    assert.equal(again.endpoint, 'updated');
    assert.equal(again.endpointId, first.endpointId);
    assert.deepEqual(again.created, []);
    assert.deepEqual(again.removed, []);
    assert.deepEqual(byKey(again.unchanged), byKey(first.created));

    // Dataverse calls it with the key it holds now, as `?code=`.
    await touchContact('Hooked');
    assert.equal(hooks.received.length, 1);
    assert.match(hooks.received[0]!.url, /\?code=second-key-0123456789$/);
  });

  test('install enables a disabled step, removes steps no longer wanted and duplicate endpoints', async () => {
    const [registration] = await crm.findWebhooks(hooks.url);
    const leadStep = registration!.steps.find((step) => step.entity === 'lead')!;
    const admin = {
      authorization: `Bearer ${emulatorFixtures.defaultAdminToken}`,
      'content-type': 'application/json',
    };
    const disabled = await fetch(`${emulator.url}/api/data/v9.2/sdkmessageprocessingsteps(${leadStep.id})`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ statecode: 1, statuscode: 2 }),
    });
    assert.equal(disabled.status, 204, await disabled.text());
    const duplicate = await fetch(`${emulator.url}/api/data/v9.2/serviceendpoints`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'copy', contract: 8, url: hooks.url, authtype: 4, authvalue: 'old' }),
    });
    assert.equal(duplicate.status, 204, await duplicate.text());

    const report = await install(
      'third-key-0123456789',
      steps.filter((step) => step.message !== 'Delete'),
    );
    assert.deepEqual(byKey(report.enabled), ['lead/Update']);
    assert.deepEqual(byKey(report.removed), ['contact/Delete']);
    const registrations = await crm.findWebhooks(hooks.url);
    assert.equal(registrations.length, 1, 'one endpoint per URL');
    assert.deepEqual(byKey(registrations[0]!.steps), ['contact/Create', 'contact/Update', 'lead/Update']);
    assert.ok(registrations[0]!.steps.every((step) => step.enabled));
  });

  test('uninstall removes the steps and the endpoint; a second uninstall finds nothing', async () => {
    const removed = await crm.uninstallWebhook(hooks.url);
    assert.equal(removed.length, 1);
    assert.deepEqual(await crm.findWebhooks(hooks.url), []);
    assert.deepEqual(await crm.uninstallWebhook(hooks.url), []);
    await touchContact('Quiet');
    assert.equal(hooks.received.length, 0, 'no webhook any more');
  });
});
