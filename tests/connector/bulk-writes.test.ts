import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WriteOperation, WriteOutcome } from '../../src/connectors/connector.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { batchResponse, startFakeDataverse } from './fake-dataverse.ts';

/**
 * `write()` on the bulk write path (performance anchors §2: UpdateMultiple, whole-request rollback, fall back to
 * `$batch`) against the emulator answering stale ETags with 412 — the organisation a successful write-path probe
 * describes (B4.5; the probe and the default `$batch` path are in write-paths.test.ts): one outcome per
 * operation in order, per-record outcomes after a fallback, a stale ETag or a rejected record (B6.1) affecting
 * only its own record.
 */

type Running = Awaited<ReturnType<typeof startEmulator>>;

const fastRetry = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 5_000 };

/** `bulk` (default here): contact and lead updates go as UpdateMultiple; `batch`: the connector's default. */
function connect(url: string, path: 'bulk' | 'batch' = 'bulk'): DataverseConnector {
  return new DataverseConnector({
    url,
    auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
    logger: silentLogger(),
    retry: fastRetry,
    ...(path === 'bulk' ? { writePaths: { contact: 'bulk', lead: 'bulk' } } : {}),
  });
}

const summary = (outcomes: WriteOutcome[]) =>
  outcomes.map((outcome) => (outcome.status === 'rejected' ? `rejected:${outcome.reason}` : outcome.status));

describe('connector bulk writes (UpdateMultiple) against the emulator', () => {
  let emulator: Running;
  let crm: DataverseConnector;
  let contacts: string[];
  let leads: string[];

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      seed: { seed: 'demo', contacts: 60, leads: 20, accounts: 3 },
      bulk: { etags: 'honoured' },
    });
    crm = connect(emulator.url);
    const ids = async (entity: string) => {
      const all: string[] = [];
      for await (const page of crm.readAll(entity, ['jobtitle'])) all.push(...page.records.map((r) => r.id));
      return all;
    };
    contacts = await ids('contact');
    leads = await ids('lead');
  });
  after(async () => {
    await crm.close();
    await emulator.close();
  });

  async function jobTitles(entity: string, ids: readonly string[]) {
    return Promise.all(
      ids.map(async (id) => (await crm.retrieve(entity, id, ['jobtitle']))!.values.jobtitle),
    );
  }

  async function requestsDuring(fn: () => Promise<unknown>): Promise<number> {
    const before = crm.stats().requests;
    await fn();
    return crm.stats().requests - before;
  }

  test('updates of two entities and creates, interleaved: one outcome per operation, in order', async () => {
    const operations: WriteOperation[] = [];
    for (let i = 0; i < 6; i += 1) {
      operations.push({ kind: 'update', entity: 'contact', id: contacts[i], values: { jobtitle: `C${i}` } });
      operations.push({ kind: 'update', entity: 'lead', id: leads[i], values: { jobtitle: `L${i}` } });
    }
    operations.splice(3, 0, { kind: 'create', entity: 'lead', values: { lastname: 'Bulk', subject: 'S' } });
    let outcomes: WriteOutcome[] = [];
    // Chunks of 3: contacts 2 UpdateMultiple, leads 2 UpdateMultiple, the create 1 $batch.
    const requests = await requestsDuring(async () => {
      outcomes = await crm.write(operations, { batchSize: 3 });
    });
    assert.equal(requests, 5);
    assert.equal(outcomes.length, operations.length);
    operations.forEach((operation, i) => {
      const outcome = outcomes[i];
      assert.equal(outcome.status, 'ok', `operation ${i}`);
      if (operation.kind === 'update') {
        assert.deepEqual(outcome, { status: 'ok', id: operation.id, etag: undefined }, 'no ETag from a 204');
      } else {
        assert.ok(outcome.status === 'ok' && /^[0-9a-f-]{36}$/.test(outcome.id) && outcome.etag);
      }
    });
    assert.deepEqual(await jobTitles('contact', contacts.slice(0, 6)), ['C0', 'C1', 'C2', 'C3', 'C4', 'C5']);
    assert.deepEqual(await jobTitles('lead', leads.slice(0, 6)), ['L0', 'L1', 'L2', 'L3', 'L4', 'L5']);
  });

  test('B6.1: one rejected record → the chunk falls back to $batch and every record gets its own outcome', async () => {
    const ids = contacts.slice(10, 15);
    const [untouched] = await jobTitles('contact', [ids[2]]);
    const operations: WriteOperation[] = ids.map((id, i) => ({
      kind: 'update',
      entity: 'contact',
      id,
      values: i === 2 ? { firstname: 'x'.repeat(5000) } : ({ jobtitle: `F${i}` } as Record<string, string>),
    }));
    operations.push({ kind: 'update', entity: 'contact', id: contacts[15], values: { new_gone: 'x' } });
    let outcomes: WriteOutcome[] = [];
    const requests = await requestsDuring(async () => {
      outcomes = await crm.write(operations, { batchSize: 100 });
    });
    assert.equal(requests, 2, 'one refused UpdateMultiple, then one $batch');
    assert.deepEqual(summary(outcomes), ['ok', 'ok', 'rejected:length', 'ok', 'ok', 'field-error']);
    assert.ok(outcomes[0].status === 'ok' && /^W\/"\d+"$/.test(outcomes[0].etag ?? ''), '$batch gives ETags');
    assert.ok(outcomes[5].status === 'field-error' && outcomes[5].field === 'new_gone');
    assert.deepEqual(await jobTitles('contact', ids), ['F0', 'F1', untouched, 'F3', 'F4']);
  });

  test('B4.5: a stale ETag in an UpdateMultiple affects only that record after the fallback', async () => {
    const ids = contacts.slice(20, 24);
    const read = await Promise.all(ids.map((id) => crm.retrieve('contact', id, ['jobtitle'])));
    // A CRM user changes the third record after Syncline read it.
    const [theirs] = await crm.write([
      { kind: 'update', entity: 'contact', id: ids[2], values: { jobtitle: 'Theirs' }, etag: read[2]!.etag },
    ]);
    assert.equal(theirs.status, 'ok');
    const outcomes = await crm.write(
      ids.map((id, i) => ({
        kind: 'update',
        entity: 'contact',
        id,
        values: { jobtitle: 'Ours' },
        etag: read[i]!.etag,
      })),
    );
    assert.deepEqual(summary(outcomes), ['ok', 'ok', 'stale-etag', 'ok']);
    assert.deepEqual(await jobTitles('contact', ids), ['Ours', 'Ours', 'Theirs', 'Ours'], 'no lost update');
  });

  test('an update of a deleted record is not-found for that record only; nothing is created', async () => {
    const gone = '5e5e5e5e-0000-4000-8000-00000000dead';
    const outcomes = await crm.write([
      { kind: 'update', entity: 'contact', id: contacts[30], values: { jobtitle: 'Here' } },
      { kind: 'update', entity: 'contact', id: gone, values: { jobtitle: 'Gone' } },
    ]);
    assert.deepEqual(summary(outcomes), ['ok', 'rejected:not-found']);
    assert.equal(await crm.retrieve('contact', gone, ['jobtitle']), undefined);
  });

  test('without write paths (the default) every update goes through $batch (ETags returned)', async () => {
    const plain = connect(emulator.url, 'batch');
    try {
      const ids = contacts.slice(40, 44);
      const outcomes = await plain.write(
        ids.map((id) => ({ kind: 'update', entity: 'contact', id, values: { jobtitle: 'Plain' } })),
        { batchSize: 2 },
      );
      assert.deepEqual(summary(outcomes), ['ok', 'ok', 'ok', 'ok']);
      for (const outcome of outcomes)
        assert.ok(outcome.status === 'ok' && /^W\/"\d+"$/.test(outcome.etag ?? ''));
      assert.deepEqual(await jobTitles('contact', ids), ['Plain', 'Plain', 'Plain', 'Plain']);
    } finally {
      await plain.close();
    }
  });
});

test('a table without UpdateMultiple (404 unknown segment) falls back, is not asked again and reports batch', async () => {
  const ids = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];
  const server = await startFakeDataverse((req) => {
    if (req.url.includes('UpdateMultiple')) {
      return {
        status: 404,
        body: {
          error: {
            code: '0x80060888',
            message: "Resource not found for the segment 'Microsoft.Dynamics.CRM.UpdateMultiple'.",
          },
        },
      };
    }
    if (!req.url.endsWith('/$batch')) return undefined;
    return batchResponse(
      ids.map((id) => ({ status: '200 OK', body: { '@odata.etag': 'W/"3"', contactid: id } })),
    );
  });
  const connector = connect(server.url);
  try {
    const operations: WriteOperation[] = ids.map((id) => ({
      kind: 'update',
      entity: 'contact',
      id,
      values: { firstname: 'A' },
    }));
    const first = await connector.write(operations);
    assert.deepEqual(summary(first), ['ok', 'ok']);
    const second = await connector.write(operations);
    assert.deepEqual(summary(second), ['ok', 'ok']);
    const bulk = server.requests.filter((r) => r.url.includes('UpdateMultiple'));
    const batches = server.requests.filter((r) => r.url.endsWith('/$batch'));
    assert.equal(bulk.length, 1, 'asked once');
    assert.equal(batches.length, 2);
    assert.deepEqual(connector.stats().writePaths, { contact: 'batch', lead: 'bulk' });
  } finally {
    await connector.close();
    await server.close();
  }
});
