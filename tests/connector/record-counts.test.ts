import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { crmAdmin, startEmulatorProcess, type EmulatorProcess } from '../engine/sync-world.ts';

/**
 * `RetrieveTotalRecordCount` as Microsoft documents it (emulator, over HTTP to its own process) and the
 * connector's two counts (B6.5): the snapshot total, and what the next read of an entity would bring.
 */
describe('record counts', () => {
  let emulator: EmulatorProcess;
  let crm: ReturnType<typeof crmAdmin>;
  let connector: DataverseConnector;
  before(async () => {
    emulator = await startEmulatorProcess(['--seed', 'empty']);
    crm = crmAdmin(emulator.url);
    connector = new DataverseConnector({
      url: emulator.url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
    });
  });
  after(async () => {
    await connector.close();
    await emulator.stop();
  });

  const reset = async () => {
    assert.equal((await crm('PUT', '/_emulator/record-counts', { refreshSeconds: 86_400 })).status, 200);
    const answer = await crm('POST', '/_emulator/reset', {
      seed: 'demo',
      contacts: 7,
      leads: 3,
      accounts: 2,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
  };

  test('RetrieveTotalRecordCount answers the documented shape, with the alias or the list inline', async () => {
    await reset();
    const aliased = await crm(
      'GET',
      `RetrieveTotalRecordCount(EntityNames=@p1)?@p1=${encodeURIComponent('["account","contact"]')}`,
    );
    assert.equal(aliased.status, 200, JSON.stringify(aliased.json));
    assert.match(
      aliased.json['@odata.context'],
      /\$metadata#Microsoft\.Dynamics\.CRM\.RetrieveTotalRecordCountResponse$/,
    );
    assert.deepEqual(aliased.json.EntityRecordCountCollection, {
      Count: 2,
      IsReadOnly: false,
      Keys: ['account', 'contact'],
      Values: [2, 7],
    });
    const inline = await crm(
      'GET',
      `RetrieveTotalRecordCount(EntityNames=${encodeURIComponent("['lead']")})`,
    );
    assert.equal(inline.status, 200, JSON.stringify(inline.json));
    assert.deepEqual(inline.json.EntityRecordCountCollection.Values, [3]);

    // A third-party client calls it the way Microsoft's docs show, unchanged.
    const client = new DynamicsWebApi({
      serverUrl: emulator.url,
      dataApi: { version: '9.2' },
      onTokenRefresh: async () => emulatorFixtures.defaultSyncToken,
    });
    const answer = await client.callFunction<{
      EntityRecordCountCollection: { Keys: string[]; Values: number[] };
    }>({ name: 'RetrieveTotalRecordCount', parameters: { EntityNames: ['contact', 'lead'] } });
    assert.deepEqual(answer.EntityRecordCountCollection.Keys, ['contact', 'lead']);
    assert.deepEqual(answer.EntityRecordCountCollection.Values, [7, 3]);

    const unknown = await crm(
      'GET',
      `RetrieveTotalRecordCount(EntityNames=@p1)?@p1=${encodeURIComponent('["nosuch"]')}`,
    );
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, '0x80040217');
    const missing = await crm('GET', 'RetrieveTotalRecordCount()');
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error.code, '0x80060888');
    const malformed = await crm('GET', `RetrieveTotalRecordCount(EntityNames=@p1)?@p1=contact`);
    assert.equal(malformed.status, 400);
  });

  test('the count is a snapshot: writes show only after it is retaken, or at once when live', async () => {
    await reset();
    assert.equal((await crm('POST', 'contacts', { lastname: 'After-Snapshot' })).status, 204);
    assert.deepEqual(Object.fromEntries(await connector.totalRecordCounts(['contact'])), { contact: 7 });

    const retaken = await crm('POST', '/_emulator/record-counts');
    assert.equal(retaken.status, 200);
    assert.equal(retaken.json.counts.contact, 8);
    assert.deepEqual(Object.fromEntries(await connector.totalRecordCounts(['contact', 'lead'])), {
      contact: 8,
      lead: 3,
    });

    assert.equal((await crm('PUT', '/_emulator/record-counts', { refreshSeconds: 0 })).status, 200);
    assert.equal((await crm('POST', 'contacts', { lastname: 'Live' })).status, 204);
    assert.deepEqual(Object.fromEntries(await connector.totalRecordCounts(['contact'])), { contact: 9 });
    const bad = await crm('PUT', '/_emulator/record-counts', { refreshSeconds: -1 });
    assert.equal(bad.status, 400);
  });

  test('countChanges: changes since a delta token (deletes too), rows after a modifiedon watermark', async () => {
    await reset();
    // Read everything once, as the initial load does, and keep the last page's cursor.
    let cursor: string | undefined;
    for await (const page of connector.readChanges('contact', ['lastname'], undefined, { pageSize: 3 })) {
      cursor = page.cursor;
      if (!page.final) {
        // Mid-read: the next page is a skiptoken, which no count reaches.
        assert.equal(await connector.countChanges('contact', page.cursor), undefined);
      }
    }
    assert.ok(cursor !== undefined);
    assert.equal(await connector.countChanges('contact', undefined), undefined);
    assert.deepEqual(await connector.countChanges('contact', cursor), {
      count: 0,
      atLeast: false,
      basis: 'delta-token',
    });
    const contacts = (await crm('GET', 'contacts?$select=contactid&$top=2')).json.value;
    assert.equal(
      (await crm('PATCH', `contacts(${contacts[0].contactid})`, { lastname: 'Changed' })).status,
      204,
    );
    assert.equal((await crm('DELETE', `contacts(${contacts[1].contactid})`)).status, 204);
    assert.equal((await crm('POST', 'contacts', { lastname: 'New' })).status, 204);
    assert.deepEqual(await connector.countChanges('contact', cursor), {
      count: 3,
      atLeast: false,
      basis: 'delta-token',
    });

    // Without change tracking: a modifiedon watermark, counted with $count and a filter.
    assert.equal(
      (await crm('PUT', '/_emulator/change-tracking', { entity: 'lead', enabled: false })).status,
      200,
    );
    connector.refreshMetadata('lead');
    let watermark: string | undefined;
    for await (const page of connector.readChanges('lead', ['lastname'], undefined)) watermark = page.cursor;
    assert.deepEqual(await connector.countChanges('lead', watermark), {
      count: 0,
      atLeast: false,
      basis: 'modifiedon',
    });
    // modifiedon has whole seconds: a write in a later second is after the watermark.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const leads = (await crm('GET', 'leads?$select=leadid&$top=1')).json.value;
    assert.equal((await crm('PATCH', `leads(${leads[0].leadid})`, { lastname: 'Moved' })).status, 204);
    assert.deepEqual(await connector.countChanges('lead', watermark), {
      count: 1,
      atLeast: false,
      basis: 'modifiedon',
    });
  });
});
