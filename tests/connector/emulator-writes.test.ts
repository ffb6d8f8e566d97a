import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { silentLogger } from '../../src/logging/logger.ts';

/**
 * Writes, actions and resilience against the in-process emulator over real HTTP: $batch outcomes (stale ETag,
 * plug-in rule, unknown attribute, secured field, duplicates, changesets), QualifyLead, owner assignment, tasks,
 * and retries under 429 storms and 5xx faults.
 */

type Running = Awaited<ReturnType<typeof startEmulator>>;

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

async function control(emulator: Running, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${emulatorFixtures.defaultAdminToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} /_emulator/${path} → ${response.status} ${await response.text()}`);
}

const uuid = (n: number) => `5e5e5e5e-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('connector writes against the emulator', () => {
  let emulator: Running;
  let crm: DataverseConnector;
  let contactIds: string[];

  before(async () => {
    emulator = await startEmulator({ port: 0 });
    crm = new DataverseConnector({
      url: emulator.url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
      retry: { maxAttempts: 8, baseDelayMs: 10, maxDelayMs: 100, budgetMs: 60_000 },
    });
    const pages = await collect(crm.readAll('contact', ['firstname']));
    contactIds = pages.flatMap((page) => page.records.map((record) => record.id));
  });
  after(async () => {
    await crm.close();
    await emulator.close();
  });

  test('B4.5: an update with the current ETag succeeds and returns the new one; a stale ETag → stale-etag', async () => {
    const id = contactIds[0];
    const before = await crm.retrieve('contact', id, ['jobtitle']);
    const [first] = await crm.write([
      { kind: 'update', entity: 'contact', id, values: { jobtitle: 'Buyer' }, etag: before!.etag },
    ]);
    assert.equal(first.status, 'ok');
    assert.ok(first.status === 'ok' && first.etag !== before!.etag && /^W\/"\d+"$/.test(first.etag ?? ''));
    const [stale] = await crm.write([
      { kind: 'update', entity: 'contact', id, values: { jobtitle: 'Seller' }, etag: before!.etag },
    ]);
    assert.deepEqual(stale, { status: 'stale-etag' });
    assert.equal(
      (await crm.retrieve('contact', id, ['jobtitle']))!.values.jobtitle,
      'Buyer',
      'no lost update',
    );
  });

  test('B6.1/B5.6: one batch, independent outcomes — plug-in rule, unknown attribute, secured field, length, ok', async () => {
    await control(emulator, 'PUT', 'rules', [
      {
        entity: 'contact',
        attribute: 'jobtitle',
        on: 'update',
        check: 'regex',
        value: '^[A-Z]',
        message: 'Job title must start with a capital.',
      },
    ]);
    try {
      const outcomes = await crm.write([
        { kind: 'update', entity: 'contact', id: contactIds[1], values: { jobtitle: 'lower case' } },
        { kind: 'update', entity: 'contact', id: contactIds[2], values: { new_gone: 'x' } },
        { kind: 'update', entity: 'contact', id: contactIds[3], values: { new_creditscore: 700 } },
        { kind: 'update', entity: 'contact', id: contactIds[4], values: { firstname: 'x'.repeat(5000) } },
        { kind: 'update', entity: 'contact', id: contactIds[5], values: { jobtitle: 'Upper' } },
      ]);
      assert.deepEqual(
        outcomes.map((outcome) =>
          outcome.status === 'rejected' ? `${outcome.status}:${outcome.reason}` : outcome.status,
        ),
        ['rejected:plugin', 'field-error', 'rejected:secured-field', 'rejected:length', 'ok'],
      );
      assert.ok(outcomes[0].status === 'rejected' && outcomes[0].crmCode === '0x80040265');
      assert.ok(
        outcomes[0].status === 'rejected' && outcomes[0].message === 'Job title must start with a capital.',
      );
      assert.ok(outcomes[1].status === 'field-error' && outcomes[1].field === 'new_gone');
    } finally {
      await control(emulator, 'PUT', 'rules', []);
    }
  });

  test('B7.2: a create with a client id is idempotent — the retry answers already-exists', async () => {
    const create = {
      kind: 'create' as const,
      entity: 'lead',
      id: uuid(1),
      values: { lastname: 'Idem', emailaddress1: 'idem@example.com', subject: 'Interest' },
    };
    const [first] = await crm.write([create]);
    assert.equal(first.status, 'ok');
    assert.ok(first.status === 'ok' && first.id === uuid(1));
    const [again] = await crm.write([create]);
    assert.deepEqual(again, { status: 'already-exists', id: uuid(1) });
  });

  test('an atomic write (one changeset) rolls everything back when one operation fails', async () => {
    const outcomes = await crm.write(
      [
        { kind: 'create', entity: 'lead', id: uuid(2), values: { lastname: 'Atomic' } },
        { kind: 'update', entity: 'contact', id: contactIds[6], values: { firstname: 'y'.repeat(5000) } },
      ],
      { atomic: true },
    );
    // The failed changeset is answered by its failing request alone; when the server does not echo its
    // Content-ID the culprit is unknown, so every member carries the error (never a false 'ok').
    assert.ok(outcomes[1].status === 'rejected' && outcomes[1].reason === 'length');
    assert.ok(
      outcomes[0].status === 'rolled-back' ||
        (outcomes[0].status === 'rejected' && outcomes[0].reason === 'length'),
    );
    assert.equal(await crm.retrieve('lead', uuid(2), ['lastname']), undefined, 'the create was rolled back');
  });

  test('B1.5/B7.6: assign a team owner and create a task regarding a contact', async () => {
    const id = contactIds[7];
    const assigned = await crm.assignOwner('contact', id, {
      entity: 'team',
      id: emulatorFixtures.salesTeamId,
    });
    assert.equal(assigned.status, 'ok');
    const record = await crm.retrieve('contact', id, ['ownerid']);
    assert.deepEqual(record!.values.ownerid, { id: emulatorFixtures.salesTeamId, entity: 'team' });
    const task = await crm.createTask({
      id: uuid(3),
      subject: 'Call back',
      description: 'Asked for a demo',
      dueDate: '2026-12-01T09:00:00Z',
      regarding: { entity: 'contact', id },
    });
    assert.deepEqual(task.status, 'ok');
    const saved = await crm.retrieve('task', uuid(3), ['subject', 'regardingobjectid']);
    assert.equal(saved!.values.subject, 'Call back');
    assert.deepEqual(saved!.values.regardingobjectid, { id, entity: 'contact' });
  });

  test('B3.4: QualifyLead creates a contact whose originatingleadid is the lead', async () => {
    const [created] = await crm.write([
      { kind: 'create', entity: 'lead', id: uuid(4), values: { firstname: 'Quinn', lastname: 'Qualify' } },
    ]);
    assert.equal(created.status, 'ok');
    const result = await crm.qualifyLead(uuid(4), { createContact: true });
    const contact = result.created.find((row) => row.entity === 'contact');
    assert.ok(contact, JSON.stringify(result));
    const saved = await crm.retrieve('contact', contact.id, ['lastname', 'originatingleadid']);
    assert.deepEqual(saved!.values.originatingleadid, { id: uuid(4), entity: 'lead' });
    const lead = await crm.retrieve('lead', uuid(4), ['statecode']);
    assert.equal(lead!.values.statecode, 1, 'the lead is qualified');
  });

  test('B6.2: a 429 storm is absorbed by Retry-After and the adaptive limit — every read and write succeeds', async () => {
    await control(emulator, 'PUT', 'limits', { requestsPerWindow: 8, windowSeconds: 1 });
    try {
      const before = crm.stats().throttled;
      const reads = Array.from({ length: 20 }, (_, i) =>
        crm.retrieve('contact', contactIds[i], ['firstname']),
      );
      const writes = crm.write(
        contactIds.slice(20, 40).map((id, i) => ({
          kind: 'update' as const,
          entity: 'contact',
          id,
          values: { jobtitle: `T${i}` },
        })),
        { batchSize: 5 },
      );
      const records = await Promise.all(reads);
      assert.ok(records.every((record) => record !== undefined));
      assert.ok((await writes).every((outcome) => outcome.status === 'ok'));
      assert.ok(crm.stats().throttled > before, 'the limits did bite');
    } finally {
      await control(emulator, 'PUT', 'limits', {});
    }
  });

  test('the concurrency limit shrinks when the CRM refuses concurrent requests, and every request succeeds', async () => {
    const fresh = new DataverseConnector({
      url: emulator.url,
      auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
      logger: silentLogger(),
      initialConcurrency: 8,
    });
    await fresh.whoAmI();
    await fresh.listAttributes('contact');
    await fresh.getEntity('contact');
    // 200 ms of simulated work per request keeps a dozen requests overlapping even on a loaded 2-core CI machine.
    await control(emulator, 'PUT', 'limits', { maxConcurrent: 2, msPerRequest: 200 });
    try {
      const start = fresh.stats().concurrencyLimit;
      assert.ok(start > 2, `starts above the server's limit (${start})`);
      const records = await Promise.all(
        contactIds.slice(0, 12).map((id) => fresh.retrieve('contact', id, ['firstname'])),
      );
      assert.ok(records.every((record) => record !== undefined));
      assert.ok(fresh.stats().throttled > 0, '0x80072326 was answered');
      assert.ok(fresh.stats().concurrencyLimit < start, `limit ${fresh.stats().concurrencyLimit} < ${start}`);
    } finally {
      await control(emulator, 'PUT', 'limits', {});
      await fresh.close();
    }
  });

  test('B6.2: 5xx faults are retried — a full read and a batch of writes complete', async () => {
    await control(emulator, 'PUT', 'faults', { seed: 7, http5xxRate: 0.3 });
    try {
      const before = crm.stats().retries;
      const pages = await collect(crm.readAll('contact', ['firstname'], { pageSize: 5 }));
      const read = pages.flatMap((page) => page.records.map((record) => record.id));
      assert.equal(new Set(read).size, read.length, 'no row twice');
      assert.ok(
        contactIds.every((id) => read.includes(id)),
        'no row lost',
      );
      const outcomes = await crm.write(
        contactIds
          .slice(0, 10)
          .map((id) => ({ kind: 'update' as const, entity: 'contact', id, values: { telephone1: '555' } })),
        { batchSize: 2 },
      );
      assert.deepEqual(new Set(outcomes.map((outcome) => outcome.status)), new Set(['ok']));
      assert.ok(crm.stats().retries > before, 'faults happened and were retried');
    } finally {
      await control(emulator, 'PUT', 'faults', {});
    }
  });

  test('B7.2: responses dropped after commit — retried creates with client ids never duplicate', async () => {
    await control(emulator, 'PUT', 'faults', { seed: 987654321, dropAfterCommitRate: 0.5 });
    let outcomes;
    try {
      outcomes = await crm.write(
        Array.from({ length: 12 }, (_, i) => ({
          kind: 'create' as const,
          entity: 'lead',
          id: uuid(100 + i),
          values: { lastname: `Dropped ${i}` },
        })),
        { batchSize: 3 },
      );
    } finally {
      await control(emulator, 'PUT', 'faults', {});
    }
    assert.ok(outcomes.every((outcome) => outcome.status === 'ok' || outcome.status === 'already-exists'));
    assert.ok(
      outcomes.some((outcome) => outcome.status === 'already-exists'),
      'some responses were dropped',
    );
    const leads = (await collect(crm.readAll('lead', ['lastname']))).flatMap((page) => page.records);
    for (let i = 0; i < 12; i += 1) {
      assert.equal(leads.filter((lead) => lead.values.lastname === `Dropped ${i}`).length, 1);
    }
  });

  test('writing to an unknown entity is a pass-level error', async () => {
    await assert.rejects(
      crm.write([{ kind: 'update', entity: 'new_nosuchthing', id: uuid(9), values: { a: 1 } }]),
      (error: unknown) => isCrmError(error) && error.errorClass === 'pass',
    );
  });
});
