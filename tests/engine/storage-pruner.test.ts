import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { marketingCursorName, StoragePruner } from '../../src/engine/engine.ts';
import { campaignCursorName } from '../../src/flows/campaign-runner.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openTestStore, storeKinds } from '../helpers/test-store.ts';

const dayMs = 86_400_000;

for (const kind of storeKinds) {
  describe(`bounded storage: the storage pruner on ${kind} (issue 16 item 7)`, () => {
    test('drops feed entries once the engine and the campaign runner both passed them and the retention is over', async () => {
      await using opened = await openTestStore(kind);
      const { store } = opened;
      await store.createPersons(
        Array.from({ length: 5 }, (_, index) => ({ email: `p${index}@example.com` })),
        'api',
      );
      const feed = (await store.readPersonChanges(undefined, 100)).items;
      assert.equal(feed.length, 5);
      let now = new Date();
      const pruner = new StoragePruner(store, silentLogger(), {
        feedReaders: [marketingCursorName, campaignCursorName],
        changeFeedDays: 7,
        syncErrorDays: 90,
        now: () => now,
      });
      const remaining = async () => (await store.readPersonChanges(undefined, 100)).items.length;

      // The campaign runner has not read anything yet: nothing goes, however old.
      await store.setCursor(marketingCursorName, feed[4].cursor);
      now = new Date(Date.now() + 8 * dayMs);
      assert.equal((await pruner.prune()).personChanges, 0);
      // Both passed some: what the slower one passed goes — once older than 7 days.
      await store.setCursor(campaignCursorName, feed[2].cursor);
      now = new Date(Date.now() + 6 * dayMs);
      assert.equal((await pruner.prune()).personChanges, 0, 'younger than the retention');
      now = new Date(Date.now() + 8 * dayMs);
      assert.equal((await pruner.prune()).personChanges, 3);
      assert.equal(await remaining(), 2);
      // The readers go on from where they were.
      assert.equal((await store.readPersonChanges(feed[2].cursor, 100)).items.length, 2);
    });

    test('sync errors go 90 days after they were last seen; old throughput counts go too', async () => {
      await using opened = await openTestStore(kind);
      const { store } = opened;
      await store.recordSyncError({
        entity: 'lead',
        crmId: 'L-1',
        personId: null,
        direction: 'toCrm',
        operation: 'update',
        code: '0x80040265',
        message: 'refused',
      });
      await store.addSyncedCount('lead', 'toCrm', 3, new Date(Date.now() - 2 * dayMs).toISOString());
      await store.addSyncedCount('lead', 'toCrm', 4);
      let now = new Date(Date.now() + 89 * dayMs);
      const pruner = new StoragePruner(store, silentLogger(), {
        feedReaders: [marketingCursorName],
        changeFeedDays: 7,
        syncErrorDays: 90,
        now: () => now,
      });
      const first = await pruner.prune();
      assert.equal(first.syncErrors, 0);
      assert.equal(first.throughputRows, 2, 'the status reads 24 hours; these are older');
      now = new Date(Date.now() + 91 * dayMs);
      assert.equal((await pruner.prune()).syncErrors, 1);
      assert.deepEqual(await store.countSyncErrors(), { open: 0, total: 0 });
    });
  });
}
