import assert from 'node:assert/strict';
import type { CursorStore } from '../../src/store/cursor-store.ts';
import { portTest, type StoreFactory } from './store-contract-support.ts';

/** The cursors port (CursorStore, B2.4). */
export function registerCursorStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): CursorStore => store);

  it('cursors: absent, set, overwritten, deleted; deleting a missing one is no error', async (store) => {
    assert.equal(await store.getCursor('marketing'), undefined);
    await store.setCursor('marketing', 'c1');
    await store.setCursor('marketing', 'c2');
    assert.equal(await store.getCursor('marketing'), 'c2');
    await store.setCursor('delta:contact', 'd1');
    await store.deleteCursor('marketing');
    assert.equal(await store.getCursor('marketing'), undefined);
    assert.equal(await store.getCursor('delta:contact'), 'd1');
    await store.deleteCursor('never-set');
  });
}
