import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { openTestStore, storeKinds } from '../helpers/test-store.ts';
import { isSynclineError } from '../../src/errors/syncline-error.ts';

for (const kind of storeKinds) {
  test(`initial-load progress is kept in the database: a new store sees where the load stands (B2.6, ${kind})`, async () => {
    await using opened = await openTestStore(kind);
    const { store } = opened;
    assert.deepEqual(await store.listInitialLoadProgress(), []);
    await store.setInitialLoadTotals({ contact: 120, lead: 30 }, '2026-03-01T10:00:00.000Z');
    await store.addInitialLoadProgress('contact', 50, false);
    await store.withTransaction((tx) => tx.addInitialLoadProgress('contact', 25, false));
    await store.addInitialLoadProgress('lead', 30, true);
    // A page whose transaction rolls back is not counted (it is redone, and counted then).
    await assert.rejects(
      store.withTransaction(async (tx) => {
        await tx.addInitialLoadProgress('contact', 40, false);
        throw new Error('crash before the commit');
      }),
      /crash/,
    );
    // An entity without a total (the CRM's count was not available) still counts.
    await store.addInitialLoadProgress('account', 7, false);

    const reopened = await createStore(opened.database.config, silentLogger());
    try {
      const progress = await reopened.listInitialLoadProgress();
      assert.deepEqual(
        progress.map(({ entity, processed, total, totalCountedAt }) => ({
          entity,
          processed,
          total,
          totalCountedAt,
        })),
        [
          { entity: 'account', processed: 7, total: null, totalCountedAt: null },
          { entity: 'contact', processed: 75, total: 120, totalCountedAt: '2026-03-01T10:00:00.000Z' },
          { entity: 'lead', processed: 30, total: 30, totalCountedAt: '2026-03-01T10:00:00.000Z' },
        ],
      );
      assert.equal(progress.find((row) => row.entity === 'contact')?.finishedAt, null);
      const leadFinished = progress.find((row) => row.entity === 'lead')?.finishedAt;
      assert.ok(leadFinished !== null && leadFinished !== undefined);
      // A later page of a finished entity keeps its first finish time; new totals overwrite old ones.
      await reopened.addInitialLoadProgress('lead', 2, true);
      await reopened.setInitialLoadTotals({ contact: 130 });
      const after = await reopened.listInitialLoadProgress();
      assert.equal(after.find((row) => row.entity === 'lead')?.finishedAt, leadFinished);
      assert.equal(after.find((row) => row.entity === 'lead')?.processed, 32);
      assert.equal(after.find((row) => row.entity === 'contact')?.total, 130);
      assert.equal(after.find((row) => row.entity === 'contact')?.processed, 75);
    } finally {
      await reopened.close();
    }
  });

  test(`initial-load progress refuses counts that are not whole numbers ≥ 0 (${kind})`, async () => {
    await using opened = await openTestStore(kind);
    const { store } = opened;
    for (const attempt of [
      () => store.addInitialLoadProgress('contact', -1, false),
      () => store.addInitialLoadProgress('contact', 1.5, false),
      () => store.setInitialLoadTotals({ contact: -3 }),
    ]) {
      await assert.rejects(
        attempt(),
        (error) => isSynclineError(error) && error.code === 'VALIDATION_FAILED',
      );
    }
    assert.deepEqual(await store.listInitialLoadProgress(), []);
  });
}
