import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChangePage } from '../../src/connectors/connector.ts';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import type { CrmRecord } from '../../src/domain/crm-record.ts';

/**
 * The connector against the emulator over real HTTP (in-process emulator on port 0, fresh demo data per suite):
 * metadata, privileges, paging, change tracking with updates and deletes, expired tokens, secured fields.
 */

type Running = Awaited<ReturnType<typeof startEmulator>>;

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

function connectorFor(emulator: Running, token: string): DataverseConnector {
  return new DataverseConnector({
    url: emulator.url,
    auth: { kind: 'static-token', token },
    logger: silentLogger(),
    retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 200, budgetMs: 30_000 },
  });
}

/** A person working in the CRM (the System Administrator), through the plain Web API. */
async function asAdmin(emulator: Running, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${emulatorFixtures.defaultAdminToken}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('connector against the emulator', () => {
  let emulator: Running;
  let crm: DataverseConnector;

  before(async () => {
    emulator = await startEmulator({ port: 0 });
    crm = connectorFor(emulator, emulatorFixtures.defaultSyncToken);
  });
  after(async () => {
    await crm.close();
    await emulator.close();
  });

  test('B8.3: WhoAmI names the sync user', async () => {
    assert.equal((await crm.whoAmI()).userId, emulatorFixtures.syncUserId);
  });

  test('B5.1/B5.3: entity and attribute metadata with option labels, lookup targets and the sync user’s FLS', async () => {
    const { entity, attributes } = await crm.describeEntity('contact');
    assert.equal(entity.entitySetName, 'contacts');
    assert.equal(entity.primaryIdAttribute, 'contactid');
    assert.equal(entity.changeTrackingEnabled, true);
    const byName = new Map(attributes.map((attribute) => [attribute.logicalName, attribute]));
    const email = byName.get('emailaddress1')!;
    assert.equal(email.kind, 'string');
    assert.ok((email.maxLength ?? 0) > 0);
    assert.deepEqual([email.read, email.create, email.update], [true, true, true]);
    const tier = byName.get('new_tier')!;
    assert.equal(tier.kind, 'option');
    assert.ok(tier.options!.some((option) => option.label === 'Gold'));
    assert.deepEqual(byName.get('parentcustomerid')!.metadata.targets, ['account', 'contact']);
    assert.equal(byName.get('ownerid')!.kind, 'lookup');
    const secured = byName.get('new_creditscore')!;
    assert.equal(secured.isSecured, true);
    assert.deepEqual([secured.read, secured.create, secured.update], [false, false, false]);
  });

  test('an unknown entity is a pass-level error with a clear message', async () => {
    await assert.rejects(
      crm.getEntity('new_nosuchthing'),
      (error: unknown) =>
        isCrmError(error) && error.errorClass === 'pass' && /new_nosuchthing/.test(error.message),
    );
  });

  test('B8.3: the access probe reads the entity and reports change tracking', async () => {
    const probe = await crm.probeEntityAccess('contact');
    assert.equal(probe.read, true);
    assert.equal(probe.changeTracking, true);
  });

  test('paging: every contact exactly once, in small pages and in parallel createdon partitions', async () => {
    const pages = await collect(crm.readAll('contact', ['firstname', 'parentcustomerid'], { pageSize: 7 }));
    const ids = pages.flatMap((page) => page.records.map((record) => record.id));
    assert.ok(pages.length > 2, 'several pages');
    assert.equal(new Set(ids).size, ids.length);
    const partitioned = await collect(crm.readAll('contact', ['firstname'], { pageSize: 7, partitions: 3 }));
    const partitionedIds = partitioned.flatMap((page) => page.records.map((record) => record.id));
    assert.deepEqual([...partitionedIds].sort(), [...ids].sort());
    const withParent = pages.flatMap((page) => page.records).find((record) => record.values.parentcustomerid);
    assert.deepEqual(Object.keys(withParent!.values.parentcustomerid as object).sort(), ['entity', 'id']);
  });

  test('B5.1: a secured attribute the sync user cannot read never carries a value', async () => {
    const pages = await collect(crm.readAll('contact', ['new_creditscore']));
    const values = pages.flatMap((page) => page.records.map((record) => record.values.new_creditscore));
    assert.ok(values.length > 0);
    assert.ok(values.every((value) => value === null || value === undefined));
  });

  test('B5.6: an attribute that does not exist fails the read as a field-level error naming it', async () => {
    await assert.rejects(
      collect(crm.readChanges('contact', ['firstname', 'new_gone'], undefined)),
      (error: unknown) => isCrmError(error) && error.errorClass === 'field' && error.field === 'new_gone',
    );
  });

  test('B2.3/B2.4/B3.6: change tracking sees an update and a delete made in the CRM, resumable per page', async () => {
    const initial = await collect(
      crm.readChanges('contact', ['firstname', 'lastname'], undefined, { pageSize: 20 }),
    );
    assert.ok(initial.length >= 2);
    assert.deepEqual(
      initial.map((page) => page.final),
      initial.map((_, i) => i === initial.length - 1),
    );
    const all = initial.flatMap((page) => page.upserts);
    const [changed, removed] = [all[3], all[4]];

    // Resuming from the first page's cursor redoes the rest of the load, not the first page (B2.4).
    const resumed = await collect(
      crm.readChanges('contact', ['firstname', 'lastname'], initial[0].cursor, { pageSize: 20 }),
    );
    assert.equal(
      resumed.reduce((sum, page) => sum + page.upserts.length, 0),
      all.length - initial[0].upserts.length,
    );

    assert.equal(
      (await asAdmin(emulator, 'PATCH', `/api/data/v9.2/contacts(${changed.id})`, { firstname: 'Renamed' }))
        .status,
      204,
    );
    assert.equal((await asAdmin(emulator, 'DELETE', `/api/data/v9.2/contacts(${removed.id})`)).status, 204);

    const delta: ChangePage[] = await collect(
      crm.readChanges('contact', ['firstname', 'lastname'], initial.at(-1)!.cursor),
    );
    const upserts: CrmRecord[] = delta.flatMap((page) => page.upserts);
    assert.deepEqual(
      upserts.map((record) => [record.id, record.values.firstname]),
      [[changed.id, 'Renamed']],
    );
    assert.notEqual(upserts[0].etag, changed.etag, 'a new version');
    assert.deepEqual(
      delta.flatMap((page) => page.deletes),
      [removed.id],
    );
    assert.equal(delta.at(-1)!.final, true);

    const quiet = await collect(crm.readChanges('contact', ['firstname', 'lastname'], delta.at(-1)!.cursor));
    assert.deepEqual(
      quiet.flatMap((page) => [...page.upserts, ...page.deletes]),
      [],
      'nothing changed since',
    );
  });

  test('B2.5: an expired delta token is a typed error; reading without a cursor starts over', async () => {
    const initial = await collect(crm.readChanges('lead', ['firstname'], undefined));
    const response = await asAdmin(emulator, 'POST', '/_emulator/expire-delta-tokens', { entity: 'lead' });
    assert.equal(response.status, 200);
    await assert.rejects(
      collect(crm.readChanges('lead', ['firstname'], initial.at(-1)!.cursor)),
      (error: unknown) =>
        isCrmError(error) && error.errorClass === 'expired-cursor' && error.crmCode === '0x80044352',
    );
    const reconcile = await collect(crm.readChanges('lead', ['firstname'], undefined));
    assert.equal(
      reconcile.reduce((sum, page) => sum + page.upserts.length, 0),
      initial.reduce((sum, page) => sum + page.upserts.length, 0),
    );
  });

  test('B2.5: existingIds answers which ids the CRM still has, in chunks, ignoring non-GUIDs', async () => {
    const pages = await collect(crm.readAll('contact', ['lastname'], { pageSize: 5000 }));
    const ids = pages.flatMap((page) => page.records.map((record) => record.id));
    assert.ok(ids.length > 0);
    const missing = '00000000-0000-4000-8000-00000000dead';
    const answer = await crm.existingIds('contact', [...ids, missing, 'not-a-guid']);
    assert.equal(answer.size, ids.length);
    assert.ok(ids.every((id) => answer.has(id)));
    assert.ok(!answer.has(missing) && !answer.has('not-a-guid'));
  });

  test('B2.8: retrieveMany reads records by id in one request per 100 ids, with ETags and lookups', async () => {
    const pages = await collect(crm.readAll('contact', ['lastname'], { pageSize: 5000 }));
    const ids = pages.flatMap((page) => page.records.map((record) => record.id)).slice(0, 60);
    assert.ok(ids.length >= 20, `the demo data has ${ids.length} contacts`);
    const missing = Array.from(
      { length: 60 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const before = crm.stats().requests;
    const records = await crm.retrieveMany(
      'contact',
      [...ids.map((id) => id.toUpperCase()), ids[0], ...missing, 'not-a-guid'],
      ['lastname', 'ownerid'],
    );
    assert.equal(crm.stats().requests - before, 2, `two requests for ${ids.length + 60} distinct ids`);
    assert.deepEqual(records.map((record) => record.id).sort(), [...ids].sort());
    const one = await crm.retrieve('contact', ids[1], ['lastname', 'ownerid']);
    assert.match(one?.etag ?? '', /^W\/"\d+"$/);
    assert.deepEqual(
      records.find((record) => record.id === ids[1]),
      one,
      'the same record as a single retrieve',
    );
    assert.deepEqual(await crm.retrieveMany('contact', [missing[0]], ['lastname']), []);
  });

  test('retrieve returns the record with its ETag, and undefined for a missing id', async () => {
    const [page] = await collect(crm.readAll('contact', ['firstname'], { pageSize: 1 }));
    const record = await crm.retrieve('contact', page.records[0].id, ['firstname', 'ownerid']);
    assert.equal(record?.id, page.records[0].id);
    assert.match(record!.etag ?? '', /^W\/"\d+"$/);
    assert.ok(record!.values.ownerid && typeof record!.values.ownerid === 'object');
    assert.equal(
      await crm.retrieve('contact', '00000000-0000-4000-8000-00000000dead', ['firstname']),
      undefined,
    );
  });
});
