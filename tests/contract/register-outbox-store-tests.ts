import assert from 'node:assert/strict';
import type { SyncErrorInput } from '../../src/store/run-log-store.ts';
import type { EngineStore } from '../../src/store/store.ts';
import { type StoreFactory, portTest } from './store-contract-support.ts';

/** The outbox port (OutboxStore): pending pushes (B2.4, B4.2). */
export function registerOutboxStoreTests(factory: StoreFactory): void {
  // The pusher's view rather than OutboxStore alone: marks need linked persons, settling resolves run-log
  // errors, and the pusher settles inside the engine's transactions.
  const it = portTest(factory, (store): EngineStore => store);

  it('marks merge (null absorbs lists), bump the generation, list oldest first and clear only what was read (B2.4)', async (store) => {
    const person = await store.createPerson({ email: 'p@example.com' }, 'sync');
    await store.markPendingPush('contact', 'C-1', person.id, ['firstName']);
    await store.markPendingPush('contact', 'C-1', person.id, ['lastName']);
    const listed = await store.getPendingPush('contact', 'C-1');
    assert.deepEqual([...(listed!.fields ?? [])].sort(), ['firstName', 'lastName']);
    await store.markPendingPush('lead', 'L-1', person.id, null);
    await store.markPendingPush('lead', 'L-1', person.id, ['firstName']);
    assert.equal((await store.getPendingPush('lead', 'L-1'))!.fields, null, 'null absorbs a later list');

    const read = (await store.getPendingPush('contact', 'C-1'))!;
    await store.markPendingPush('contact', 'C-1', person.id, ['email']);
    assert.ok((await store.getPendingPush('contact', 'C-1'))!.generation > read.generation);
    assert.equal(
      await store.clearPendingPush('contact', 'C-1', read.generation),
      false,
      'a newer mark stays',
    );
    const newer = (await store.getPendingPush('contact', 'C-1'))!;
    assert.equal(await store.clearPendingPush('contact', 'C-1', newer.generation), true);
    assert.equal(await store.getPendingPush('contact', 'C-1'), undefined);

    await store.markPendingPush('contact', 'C-2', person.id, null);
    const pending = await store.listPendingPushes({ limit: 10 });
    assert.deepEqual(
      pending.items.map((item) => `${item.entity}:${item.crmId}`),
      ['lead:L-1', 'contact:C-2'],
    );
    assert.deepEqual((await store.listPendingPushes({ limit: 10, entity: 'contact' })).items.length, 1);
    const summary = await store.pendingPushSummary();
    assert.equal(summary.lead.pending, 1);
    assert.equal(summary.contact.pending, 1);
    assert.equal(summary.lead.oldestPendingAt, pending.items[0].since);
  });

  it('settlePushes clears the marks it read, keeps a newer generation, resolves errors where asked, counts the cleared (B2.4, B6.1)', async (store) => {
    const person = await store.createPerson({ email: 'settle@example.com' }, 'sync');
    for (const crmId of ['C-1', 'C-2', 'C-3', 'C-4']) {
      await store.markPendingPush('contact', crmId, person.id, null);
    }
    await store.markPendingPush('lead', 'C-1', person.id, null);
    const read = new Map(
      (await store.listPendingPushes({ limit: 10, entity: 'contact' })).items.map((mark) => [
        mark.crmId,
        mark.generation,
      ]),
    );
    // C-2 is re-marked after its generation was read: the accepted push did not carry that change.
    await store.markPendingPush('contact', 'C-2', person.id, ['jobtitle']);
    const error = (crmId: string): SyncErrorInput => ({
      entity: 'contact',
      crmId,
      personId: person.id,
      direction: 'toCrm',
      operation: 'update',
      code: '0x80040265',
      message: `refused ${crmId}`,
    });
    await store.recordSyncError(error('C-1'));
    await store.recordSyncError(error('C-3'));

    const cleared = await store.settlePushes('contact', [
      { crmId: 'C-1', generation: read.get('C-1')!, resolveErrors: true },
      { crmId: 'C-2', generation: read.get('C-2')!, resolveErrors: true },
      { crmId: 'C-3', generation: read.get('C-3')!, resolveErrors: false },
      { crmId: 'C-9', generation: 1, resolveErrors: true },
    ]);
    assert.equal(cleared, 2, 'C-1 and C-3; C-2 was re-marked, C-9 had no mark');
    assert.equal(await store.getPendingPush('contact', 'C-1'), undefined);
    assert.equal(await store.getPendingPush('contact', 'C-3'), undefined);
    const newer = await store.getPendingPush('contact', 'C-2');
    assert.equal(newer?.generation, read.get('C-2')! + 1, 'the newer mark stays');
    assert.ok(await store.getPendingPush('contact', 'C-4'), 'a mark not settled stays');
    assert.ok(await store.getPendingPush('lead', 'C-1'), 'another entity with the same id stays');

    const open = await store.listSyncErrors({ limit: 10 });
    assert.deepEqual(
      open.items.map((item) => item.crmId),
      ['C-3'],
      'C-1 resolved; C-3 kept open (resolveErrors false)',
    );
    assert.equal((await store.listSyncErrors({ limit: 10, status: ['resolved'] })).items[0].crmId, 'C-1');
    assert.equal(await store.settlePushes('contact', []), 0);
    assert.equal(
      await store.withTransaction((tx) =>
        tx.settlePushes('contact', [{ crmId: 'C-4', generation: 1, resolveErrors: true }]),
      ),
      1,
      'inside a transaction, as the pusher settles a chunk',
    );
  });
}
