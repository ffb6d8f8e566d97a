import assert from 'node:assert/strict';
import type { SettingStore } from '../../src/store/setting-store.ts';
import { portTest, type StoreFactory } from './store-contract-support.ts';

/** The settings port (SettingStore). */
export function registerSettingStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): SettingStore => store);

  it('settings: absent, set, overwritten; keys are independent', async (store) => {
    assert.equal(await store.getSetting('api-key-hash'), undefined);
    await store.setSetting('api-key-hash', 'h1');
    await store.setSetting('api-key-hash', 'h2');
    assert.equal(await store.getSetting('api-key-hash'), 'h2');
    assert.equal(await store.getSetting('other'), undefined);
  });
}
