import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CrmConnector } from '../../connectors/connector.ts';
import { collectMarketingChanges, marketingCursorName } from './marketing-feed.ts';
import { PassContext } from '../run/pass-context.ts';
import { silentLogger } from '../../logging/logger.ts';
import type { Store } from '../../store/store.ts';
import { openTestStore, storeKinds } from '../../../tests/helpers/test-store.ts';

/** Every pending mark, paging through the outbox. */
async function pendingIds(store: Store): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.listPendingPushes({ limit: 1000, cursor });
    for (const item of page.items) ids.add(item.crmId);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return ids;
}

/**
 * The collector (B2.4, B4.4) reads the change feed without the sync's own rows and commits its marks in parts:
 * 1,500 marketing edits among the sync's own 4,500 rows are all marked, the cursor ends past every row, and
 * no transaction holds more than a thousand changes.
 */
describe('collecting marketing changes (B2.4, B4.4)', () => {
  for (const kind of storeKinds) {
    test(`B4.4 every marketing change is marked, the sync's own are skipped, in bounded transactions (${kind})`, async () => {
      await using opened = await openTestStore(kind);
      const { store } = opened;
      const count = 1500;
      const ids = await store.createPersonIds(
        Array.from({ length: count }, (_, index) => ({ email: `feed${index}@example.com` })),
        'sync',
      );
      await store.upsertLinks(
        ids.map((personId, index) => ({
          entity: 'contact' as const,
          crmId: `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
          personId,
          state: 'active' as const,
          etag: null,
          version: null,
        })),
      );
      // Marketing edits in two halves, each followed by writes of the sync's own: the feed ends with sync rows.
      const half = count / 2;
      for (const [part, from] of [0, half].entries()) {
        const slice = ids.slice(from, from + half);
        await store.updatePersons(
          slice.map((id, index) => ({ id, fields: { city: `City ${part}-${index}` } })),
          'api',
        );
        await store.updatePersons(
          ids.map((id, index) => ({ id, fields: { title: `Sync ${part}-${index}` } })),
          'sync',
        );
      }
      // Marks per transaction: each transaction's store counts its own `markPendingPush` calls.
      const marksPerTransaction: number[] = [];
      const countingMarks = (tx: Store, index: number) =>
        new Proxy(tx, {
          get(target, property, receiver) {
            const value: unknown = Reflect.get(target, property, receiver);
            if (property === 'markPendingPush') marksPerTransaction[index] += 1;
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      const counting = new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'withTransaction') {
            return (fn: Parameters<Store['withTransaction']>[0]) => {
              const index = marksPerTransaction.push(0) - 1;
              return target.withTransaction((tx) => fn(countingMarks(tx, index)));
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const context = new PassContext();
      const deps = {
        store: counting,
        crm: {} as CrmConnector,
        logger: silentLogger(),
        now: () => new Date(),
      };
      await collectMarketingChanges(deps, context, async () => undefined);

      assert.equal((await pendingIds(store)).size, count, 'every edited person’s record is marked');
      assert.equal(context.counts['marketing.changes'], count, 'the sync’s own writes are not counted');
      // One page of the 6,000 rows scanned holds the 1,500 changes: two parts, neither over a thousand marks.
      assert.deepEqual(marksPerTransaction, [1000, 500], 'marks per transaction');
      const feed = await store.readPersonChanges(undefined, 10_000);
      assert.equal(
        await store.getCursor(marketingCursorName),
        feed.items[feed.items.length - 1].cursor,
        'the cursor is past the last row, a sync row',
      );
      // Nothing new: a second collect marks nothing and commits nothing.
      marksPerTransaction.length = 0;
      const again = new PassContext();
      await collectMarketingChanges({ ...deps }, again, async () => undefined);
      assert.equal(again.counts['marketing.changes'] ?? 0, 0);
      assert.deepEqual(marksPerTransaction, [], 'no transaction');
    });
  }
});
