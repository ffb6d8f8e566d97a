import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { WriteOperation, WriteOutcome } from '../../src/connectors/connector.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import {
  chooseWritePaths,
  describeWritePath,
  writePathMemoryKey,
} from '../../src/connectors/write-path-choice.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { buildEmulator, type Emulator } from '../../src/emulator/server.ts';
import { silentLogger } from '../../src/logging/logger.ts';

/**
 * B4.5 over real HTTP against the emulator in each bulk setting (`PUT /_emulator/bulk`): the write-path probe
 * (sdkmessagefilters, a scratch record, a stale ETag in UpdateMultiple, cleanup), the connector's write paths
 * (`$batch` + If-Match by default, UpdateMultiple only when set) and `chooseWritePaths` with its memory.
 */

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

const admin = { authorization: `Bearer ${emulatorFixtures.defaultAdminToken}` };

describe('write paths (B4.5) against the emulator', () => {
  let emulator: Emulator;
  let url: string;
  const seen: Seen[] = [];
  let contacts: string[];
  const connectors: DataverseConnector[] = [];

  function connect(): DataverseConnector {
    const connector = new DataverseConnector({
      url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 2_000 },
    });
    connectors.push(connector);
    return connector;
  }

  async function control(method: string, action: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${url}/_emulator/${action}`, {
      method,
      headers: { ...admin, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} /_emulator/${action} → ${response.status} ${text}`);
    return JSON.parse(text);
  }

  /** The CRM as a person (administrator) sees it. */
  async function adminGet(path: string): Promise<any> {
    const response = await fetch(`${url}/api/data/v9.2/${path}`, { headers: admin });
    assert.equal(response.status, 200, await response.clone().text());
    return response.json();
  }

  async function adminEdit(entity: string, id: string, values: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${url}/api/data/v9.2/${entity}s(${id})`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json', 'if-match': '*' },
      body: JSON.stringify(values),
    });
    assert.equal(response.status, 204, await response.text());
  }

  async function scratchRecords(set: 'contacts' | 'leads'): Promise<unknown[]> {
    const filter = encodeURIComponent(`startswith(lastname,'syncline-probe-')`);
    return (await adminGet(`${set}?$select=lastname&$filter=${filter}`)).value;
  }

  const requests = (pattern: RegExp, method?: string) =>
    seen.filter((r) => pattern.test(r.url) && (method === undefined || r.method === method));

  before(async () => {
    emulator = buildEmulator({ seed: { seed: 'demo', contacts: 30, leads: 10, accounts: 2 } });
    // Every request as it reached the emulator (after the body was read): what the connector really sent.
    emulator.app.addHook('preHandler', async (request) => {
      seen.push({
        method: request.method,
        url: request.url,
        body: typeof request.body === 'string' ? request.body : '',
      });
    });
    await emulator.app.listen({ host: '127.0.0.1', port: 0 });
    const address = emulator.app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const body = await adminGet('contacts?$select=contactid');
    contacts = body.value.map((row: { contactid: string }) => row.contactid);
  });
  beforeEach(async () => {
    seen.length = 0;
    await control('PUT', 'bulk', {});
    await control('PUT', 'rules', []);
  });
  after(async () => {
    await Promise.all(connectors.map((connector) => connector.close()));
    await emulator.app.close();
  });

  describe('the probe', () => {
    test('ETags honoured → bulk proved; the scratch record is created, moved, probed and deleted', async () => {
      await control('PUT', 'bulk', { etags: 'honoured' });
      const probe = await connect().probeWritePath('contact');
      assert.deepEqual(
        { available: probe.bulkAvailable, honoured: probe.bulkEtagsHonoured, proved: probe.proved },
        { available: true, honoured: true, proved: true },
        probe.reason,
      );
      assert.match(probe.reason, /refused a stale @odata\.etag \(412 0x80060882\)/);
      assert.equal(probe.leftoverRecordId, undefined);
      assert.equal(requests(/\/sdkmessagefilters\?/).length, 1, 'asked sdkmessagefilters');
      assert.equal(
        requests(/\/contacts\?\$select=contactid$/, 'POST').length,
        1,
        'created the scratch record',
      );
      assert.equal(requests(/\/contacts\([0-9a-f-]+\)/, 'PATCH').length, 1, 'moved its ETag');
      const [bulk] = requests(/UpdateMultiple/, 'POST');
      assert.match(bulk.body, /"@odata\.etag":"W\/\\"\d+\\""/, 'the UpdateMultiple carried an ETag');
      assert.equal(requests(/\/contacts\([0-9a-f-]+\)$/, 'DELETE').length, 1, 'deleted it');
      assert.deepEqual(await scratchRecords('contacts'), []);
    });

    test('ETags ignored (the emulator default) → not proved: the stale target was applied', async () => {
      const probe = await connect().probeWritePath('contact');
      assert.deepEqual(
        { available: probe.bulkAvailable, honoured: probe.bulkEtagsHonoured, proved: probe.proved },
        { available: true, honoured: false, proved: false },
        probe.reason,
      );
      assert.match(probe.reason, /overwrite newer CRM edits/);
      assert.deepEqual(await scratchRecords('contacts'), []);
    });

    test('UpdateMultiple unavailable on lead → not available, and no scratch record is made', async () => {
      await control('PUT', 'bulk', { etags: 'honoured', unavailableOn: ['lead'] });
      const probe = await connect().probeWritePath('lead');
      assert.deepEqual(
        { available: probe.bulkAvailable, honoured: probe.bulkEtagsHonoured, proved: probe.proved },
        { available: false, honoured: 'unknown', proved: false },
      );
      assert.match(probe.reason, /not available for lead \(no sdkmessagefilters row\)/);
      assert.deepEqual(requests(/\/leads/, 'POST'), []);
      assert.deepEqual(await scratchRecords('leads'), []);
    });

    test('a missing privilege (create refused with 403) → unknown with the reason; nothing to clean up', async () => {
      const before = (await adminGet('fieldpermissions?$select=fieldpermissionid')).value.length;
      // The sync user may not create fieldpermission rows (prvCreateFieldPermission).
      const probe = await connect().probeWritePath('fieldpermission');
      assert.equal(probe.bulkEtagsHonoured, 'unknown');
      assert.equal(probe.proved, false);
      assert.match(probe.reason, /create a scratch record.*missing prvCreateFieldPermission privilege/);
      assert.deepEqual(
        requests(/\/fieldpermissions\(/, 'DELETE'),
        [],
        'no delete of a record that was never made',
      );
      assert.equal((await adminGet('fieldpermissions?$select=fieldpermissionid')).value.length, before);
    });

    test('a failure mid-probe (a plug-in refuses the PATCH) → unknown, and the scratch record is gone', async () => {
      await control('PUT', 'bulk', { etags: 'honoured' });
      await control('PUT', 'rules', [
        {
          entity: 'contact',
          attribute: 'lastname',
          on: 'update',
          check: 'forbidden',
          message: 'Renames are audited.',
        },
      ]);
      const probe = await connect().probeWritePath('contact');
      assert.deepEqual(
        { available: probe.bulkAvailable, honoured: probe.bulkEtagsHonoured, proved: probe.proved },
        { available: true, honoured: 'unknown', proved: false },
      );
      assert.match(probe.reason, /failed at "move its ETag \(PATCH\)": Renames are audited\./);
      assert.equal(requests(/\/contacts\([0-9a-f-]+\)$/, 'DELETE').length, 1);
      assert.deepEqual(await scratchRecords('contacts'), []);
      assert.equal(probe.leftoverRecordId, undefined);
    });
  });

  describe('the connector’s write path', () => {
    async function staleWrite(
      connector: DataverseConnector,
      ids: readonly string[],
    ): Promise<{ outcomes: WriteOutcome[]; jobTitles: unknown[] }> {
      const read = await Promise.all(ids.map((id) => connector.retrieve('contact', id, ['jobtitle'])));
      // A person edits the records in the CRM after Syncline read them.
      for (const id of ids) await adminEdit('contact', id, { jobtitle: 'Theirs (newer)' });
      seen.length = 0;
      const operations: WriteOperation[] = ids.map((id, i) => ({
        kind: 'update',
        entity: 'contact',
        id,
        values: { jobtitle: 'Ours (stale)' },
        etag: read[i]!.etag,
      }));
      const outcomes = await connector.write(operations);
      const after = await Promise.all(ids.map((id) => connector.retrieve('contact', id, ['jobtitle'])));
      return { outcomes, jobTitles: after.map((record) => record!.values.jobtitle) };
    }

    test('default: $batch with If-Match per update — a stale write is stale-etag, the CRM edit stays', async () => {
      const connector = connect();
      assert.deepEqual(connector.stats().writePaths, {});
      const { outcomes, jobTitles } = await staleWrite(connector, contacts.slice(0, 2));
      assert.deepEqual(outcomes, [{ status: 'stale-etag' }, { status: 'stale-etag' }]);
      assert.deepEqual(jobTitles, ['Theirs (newer)', 'Theirs (newer)']);
      assert.deepEqual(requests(/UpdateMultiple/), [], 'no bulk message');
      const [batch] = requests(/\/\$batch$/, 'POST');
      assert.equal(batch.body.match(/^PATCH .*contacts\(/gim)?.length, 2);
      assert.equal(batch.body.match(/^if-match: W\/"\d+"/gim)?.length, 2, 'each PATCH carries its ETag');
    });

    test('the danger: UpdateMultiple on an organisation that ignores ETags overwrites the newer CRM edit', async () => {
      // Emulator default: ETags ignored. Setting `bulk` without a probe is exactly what B4.5 forbids.
      const connector = connect();
      connector.setWritePaths({ contact: 'bulk' });
      const { outcomes, jobTitles } = await staleWrite(connector, contacts.slice(2, 4));
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        ['ok', 'ok'],
      );
      assert.deepEqual(jobTitles, ['Ours (stale)', 'Ours (stale)'], 'the CRM edits are silently lost');
      assert.equal(requests(/contacts\/Microsoft\.Dynamics\.CRM\.UpdateMultiple$/, 'POST').length, 1);
    });

    test('bulk set for a table whose ETags are honoured: UpdateMultiple is sent, a stale record gets stale-etag', async () => {
      await control('PUT', 'bulk', { etags: 'honoured' });
      const connector = connect();
      connector.setWritePaths({ contact: 'bulk', lead: 'batch' });
      assert.deepEqual(connector.stats().writePaths, { contact: 'bulk', lead: 'batch' });
      const fresh = await connector.write(
        contacts
          .slice(4, 7)
          .map((id) => ({ kind: 'update', entity: 'contact', id, values: { jobtitle: 'Bulk' } })),
      );
      assert.deepEqual(
        fresh,
        contacts.slice(4, 7).map((id) => ({ status: 'ok', id, etag: undefined })),
      );
      assert.equal(requests(/contacts\/Microsoft\.Dynamics\.CRM\.UpdateMultiple$/, 'POST').length, 1);
      assert.deepEqual(requests(/\/\$batch$/), []);
      const { outcomes, jobTitles } = await staleWrite(connector, contacts.slice(7, 9));
      assert.deepEqual(outcomes, [{ status: 'stale-etag' }, { status: 'stale-etag' }]);
      assert.deepEqual(jobTitles, ['Theirs (newer)', 'Theirs (newer)']);
    });

    test('bulk set for a table without the message: it falls back to $batch and reports batch', async () => {
      await control('PUT', 'bulk', { etags: 'honoured', unavailableOn: ['contact'] });
      const connector = connect();
      connector.setWritePaths({ contact: 'bulk' });
      const operations: WriteOperation[] = contacts
        .slice(9, 11)
        .map((id) => ({ kind: 'update', entity: 'contact', id, values: { jobtitle: 'Fallback' } }));
      const first = await connector.write(operations);
      assert.deepEqual(
        first.map((outcome) => outcome.status),
        ['ok', 'ok'],
      );
      assert.deepEqual(connector.stats().writePaths, { contact: 'batch' });
      await connector.write(operations);
      assert.equal(requests(/UpdateMultiple/).length, 1, 'asked once, then remembered');
      assert.equal(requests(/\/\$batch$/).length, 2);
    });
  });

  describe('chooseWritePaths', () => {
    function memoryMap() {
      const map = new Map<string, string>();
      return {
        map,
        memory: {
          get: async (key: string) => map.get(key),
          set: async (key: string, value: string) => void map.set(key, value),
        },
      };
    }

    test('honoured: both entities go bulk, the answer is remembered per organisation and reused', async () => {
      await control('PUT', 'bulk', { etags: 'honoured' });
      const { map, memory } = memoryMap();
      const connector = connect();
      const now = new Date('2026-12-10T10:00:00Z');
      const choices = await chooseWritePaths(connector, memory, { now: () => now });
      assert.deepEqual(
        choices.map((choice) => [choice.entity, choice.path, choice.remembered]),
        [
          ['lead', 'bulk', false],
          ['contact', 'bulk', false],
        ],
      );
      assert.deepEqual(connector.stats().writePaths, { lead: 'bulk', contact: 'bulk' });
      const key = writePathMemoryKey(emulatorFixtures.organizationId, 'contact');
      assert.equal(JSON.parse(map.get(key)!).probe.proved, true);

      seen.length = 0;
      const again = connect();
      const later = new Date(now.getTime() + 3600_000);
      const reused = await chooseWritePaths(again, memory, { now: () => later });
      assert.deepEqual(
        reused.map((choice) => choice.remembered),
        [true, true],
      );
      assert.deepEqual(requests(/UpdateMultiple/), [], 'no probe ran');
      assert.deepEqual(again.stats().writePaths, { lead: 'bulk', contact: 'bulk' });
      assert.match(describeWritePath(reused[1]), /^contact: updates via UpdateMultiple \(ETags verified\)/);

      // A week later the remembered answer is probed again — and the organisation changed meanwhile.
      await control('PUT', 'bulk', { etags: 'ignored' });
      const stale = new Date(now.getTime() + 8 * 24 * 3600_000);
      const reprobed = await chooseWritePaths(connect(), memory, { now: () => stale });
      assert.deepEqual(
        reprobed.map((choice) => [choice.path, choice.remembered]),
        [
          ['batch', false],
          ['batch', false],
        ],
      );
      assert.equal(JSON.parse(map.get(key)!).probe.bulkEtagsHonoured, false);
    });

    test('ignored (default): both stay on $batch, with the probe’s reason for check and the status', async () => {
      const { memory } = memoryMap();
      const connector = connect();
      const choices = await chooseWritePaths(connector, memory);
      assert.deepEqual(
        choices.map((choice) => choice.path),
        ['batch', 'batch'],
      );
      assert.deepEqual(connector.stats().writePaths, { lead: 'batch', contact: 'batch' });
      assert.match(
        describeWritePath(choices[0]),
        /^lead: updates via \$batch with If-Match — UpdateMultiple applied/,
      );
    });

    test('an unknown answer is not remembered: the next start probes again', async () => {
      await control('PUT', 'bulk', { etags: 'honoured' });
      await control('PUT', 'rules', [
        { entity: 'lead', attribute: 'lastname', on: 'update', check: 'forbidden', message: 'No renames.' },
      ]);
      const { map, memory } = memoryMap();
      const choices = await chooseWritePaths(connect(), memory, { entities: ['lead'] });
      assert.equal(choices[0].path, 'batch');
      assert.equal(choices[0].probe.bulkEtagsHonoured, 'unknown');
      assert.equal(map.size, 0);
      assert.deepEqual(await scratchRecords('leads'), []);
    });
  });
});
