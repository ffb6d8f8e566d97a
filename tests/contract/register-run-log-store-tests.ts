import assert from 'node:assert/strict';
import type { PersonStore } from '../../src/store/person-store.ts';
import type { RunLogStore, SyncErrorInput } from '../../src/store/run-log-store.ts';
import { type StoreFactory, collectPages, portTest, rejectsWithCode } from './store-contract-support.ts';

const unknownId = '01900000-0000-7000-8000-000000000000';

/** The run log port (RunLogStore): sync errors (B6.1), conflicts (B4.3), passes, throughput, notifications (B6.5, B6.6). */
export function registerRunLogStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): RunLogStore & PersonStore => store);

  it('sync errors are recorded once per distinct error with first/last seen and count (B6.1)', async (store) => {
    const error: SyncErrorInput = {
      entity: 'lead',
      crmId: 'L-1',
      personId: null,
      direction: 'toCrm',
      operation: 'update',
      code: '0x80040265',
      message: 'Plug-in says: Topic is required',
    };
    const first = await store.recordSyncError(error);
    assert.equal(first.isNew, true);
    const again = await store.recordSyncError(error);
    assert.equal(again.isNew, false);
    assert.equal(again.error.id, first.error.id);
    assert.equal(again.error.count, 2);
    assert.equal(again.error.firstSeen, first.error.firstSeen);
    assert.ok(again.error.lastSeen >= first.error.lastSeen);
    const other = await store.recordSyncError({
      ...error,
      crmId: 'L-2',
      code: '0x80044331',
      message: 'Length exceeded',
    });
    assert.equal(other.isNew, true);

    assert.equal((await store.listSyncErrors({ limit: 10 })).items.length, 2);
    assert.deepEqual(
      (await store.listSyncErrors({ limit: 10, q: 'TOPIC' })).items.map((item) => item.id),
      [first.error.id],
    );
    assert.equal((await store.listSyncErrors({ limit: 10, q: 'l-2' })).items.length, 1);
    assert.equal(
      (await store.listSyncErrors({ limit: 10, q: '100%_' })).items.length,
      0,
      'LIKE wildcards are literal',
    );
    assert.equal((await store.listSyncErrors({ limit: 10, entity: 'contact' })).items.length, 0);
    const paged = await collectPages((cursor) => store.listSyncErrors({ limit: 1, cursor }));
    assert.equal(paged.length, 2);

    assert.equal(await store.setSyncErrorStatus(first.error.id, 'retry'), true);
    assert.equal((await store.getSyncError(first.error.id))!.status, 'retry');
    assert.equal(await store.setSyncErrorStatus(unknownId, 'retry'), false);
    assert.equal(await store.resolveSyncErrorsOf('lead', 'L-1'), 1);
    assert.equal((await store.listSyncErrors({ limit: 10 })).items.length, 1);
    assert.equal((await store.listSyncErrors({ limit: 10, status: ['resolved'] })).items.length, 1);
    const reopened = await store.recordSyncError(error);
    assert.equal(reopened.isNew, true, 'a resolved error that recurs is new again');
    assert.equal(reopened.error.count, 3);
    assert.equal(reopened.error.status, 'open');
    assert.equal(await store.getSyncError('nope'), undefined);
  });

  it('sync errors are counted and pruned by when they were last seen (bounded storage)', async (store) => {
    const base: SyncErrorInput = {
      entity: 'lead',
      crmId: 'L-9',
      personId: null,
      direction: 'toCrm',
      operation: 'update',
      code: '0x80040265',
      message: 'one',
    };
    assert.deepEqual(await store.countSyncErrors(), { open: 0, total: 0 });
    const first = await store.recordSyncError(base);
    await store.recordSyncError({ ...base, message: 'two' });
    await store.setSyncErrorStatus(first.error.id, 'resolved');
    assert.deepEqual(await store.countSyncErrors(), { open: 1, total: 2 });
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    assert.equal(await store.pruneSyncErrors(dayAgo), 0, 'both were seen since');
    const soon = new Date(Date.now() + 1000).toISOString();
    assert.equal(await store.pruneSyncErrors(soon), 2);
    assert.deepEqual(await store.countSyncErrors(), { open: 0, total: 0 });
    assert.equal(await store.getSyncError(first.error.id), undefined);
  });

  it('concurrent identical errors still make one row', async (store) => {
    const error: SyncErrorInput = {
      entity: 'contact',
      crmId: 'C-9',
      personId: null,
      direction: 'toCrm',
      operation: 'update',
      code: '0x8004f507',
      message: 'secured field',
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.recordSyncError(error)));
    assert.equal(results.filter((result) => result.isNew).length, 1);
    assert.equal((await store.getSyncError(results[0].error.id))!.count, 10);
  });

  it('conflicts keep the losing value, newest first, per person (B4.3)', async (store) => {
    const person = await store.createPerson({ email: 'c@example.com' }, 'sync');
    const other = await store.createPerson({ email: 'd@example.com' }, 'sync');
    const first = await store.recordConflict({
      personId: person.id,
      entity: 'contact',
      crmId: 'C-1',
      field: 'city',
      baseValue: null,
      marketingValue: 'Paris',
      crmValue: 'Lyon',
      winner: 'crm',
    });
    const second = await store.recordConflict({
      ...first,
      field: 'doNotCall',
      baseValue: false,
      marketingValue: true,
      crmValue: false,
    });
    await store.recordConflict({ ...first, personId: other.id });
    const listed = await collectPages((cursor) =>
      store.listConflicts({ personId: person.id, limit: 1, cursor }),
    );
    assert.deepEqual(
      listed.map((conflict) => conflict.id),
      [second.id, first.id],
    );
    assert.equal(listed[0].marketingValue, true);
    assert.equal(listed[1].baseValue, null);
    assert.equal((await store.listConflicts({ limit: 10 })).items.length, 3);
  });

  it('passes: history newest first and a summary of finished passes (B2.1, B6.5)', async (store) => {
    assert.deepEqual(await store.getPassSummary(), {
      completed: 0,
      lastStartedAt: null,
      lastFinishedAt: null,
      lastError: null,
    });
    const first = await store.startPass('schedule');
    assert.equal(first.status, 'running');
    assert.equal(
      await store.finishPass(first.id, {
        status: 'succeeded',
        counts: { 'contact.fromCrm.updated': 3 },
        error: null,
      }),
      true,
    );
    const second = await store.startPass('manual');
    await store.finishPass(second.id, { status: 'failed', counts: {}, error: 'CRM unreachable' });
    const third = await store.startPass('schedule');
    const summary = await store.getPassSummary();
    assert.equal(summary.completed, 2);
    assert.equal(summary.lastError, 'CRM unreachable');
    assert.equal(summary.lastStartedAt, third.startedAt);
    const history = await collectPages((cursor) => store.listPasses({ limit: 2, cursor }));
    assert.deepEqual(
      history.map((pass) => pass.id),
      [third.id, second.id, first.id],
    );
    assert.deepEqual(history[2].counts, { 'contact.fromCrm.updated': 3 });
    assert.equal(await store.finishPass(unknownId, { status: 'aborted', counts: {}, error: null }), false);
  });

  it('passes left running by a dead engine are closed as aborted; finished ones are left alone (B2.9)', async (store) => {
    const done = await store.startPass('schedule');
    await store.finishPass(done.id, { status: 'succeeded', counts: {}, error: null });
    const cut = await store.startPass('schedule');
    assert.equal(await store.abortRunningPasses('The engine stopped during this pass.'), 1);
    const history = await collectPages((cursor) => store.listPasses({ limit: 10, cursor }));
    const byId = new Map(history.map((pass) => [pass.id, pass]));
    assert.equal(byId.get(cut.id)?.status, 'aborted');
    assert.equal(byId.get(cut.id)?.error, 'The engine stopped during this pass.');
    assert.ok(byId.get(cut.id)?.finishedAt);
    assert.equal(byId.get(done.id)?.status, 'succeeded');
    assert.equal(await store.abortRunningPasses('again'), 0);
  });

  it('throughput counts add up per minute and can be pruned (B6.5)', async (store) => {
    const now = Date.now();
    const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
    await store.addSyncedCount('contact', 'fromCrm', 5, minutesAgo(0));
    await store.addSyncedCount('contact', 'fromCrm', 7, minutesAgo(0));
    await store.addSyncedCount('contact', 'fromCrm', 11, minutesAgo(90));
    await store.addSyncedCount('contact', 'toCrm', 2, minutesAgo(0));
    assert.equal(await store.countSynced('contact', 'fromCrm', minutesAgo(60)), 12);
    assert.equal(await store.countSynced('contact', 'fromCrm', minutesAgo(24 * 60)), 23);
    assert.equal(await store.countSynced('lead', 'fromCrm', minutesAgo(60)), 0);
    assert.equal(await store.pruneSyncedCounts(minutesAgo(60)), 1);
    assert.equal(await store.countSynced('contact', 'fromCrm', minutesAgo(24 * 60)), 12);
    await rejectsWithCode(store.addSyncedCount('contact', 'fromCrm', -1), 'VALIDATION_FAILED');
  });

  it('notifications: newest first, marked read (B6.6)', async (store) => {
    const first = await store.addNotification({ type: 'initial-load-done', message: 'Initial load done' });
    const second = await store.addNotification({
      type: 'field-quarantined',
      message: 'x',
      details: { attribute: 'new_tier' },
    });
    const listed = await collectPages((cursor) => store.listNotifications({ limit: 1, cursor }));
    assert.deepEqual(
      listed.map((notification) => notification.id),
      [second.id, first.id],
    );
    assert.deepEqual(listed[0].details, { attribute: 'new_tier' });
    assert.equal(await store.markNotificationRead(first.id), true);
    assert.notEqual((await store.listNotifications({ limit: 5 })).items[1].readAt, null);
    assert.equal(await store.markNotificationRead(unknownId), false);
  });
}
