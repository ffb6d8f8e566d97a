import { registerPersonStoreTests } from './register-person-store-tests.ts';
import { registerRecordStoreTests } from './register-record-store-tests.ts';
import { registerSyncStateStoreTests } from './register-sync-state-store-tests.ts';
import type { StoreFactory } from './store-contract-support.ts';

export type { StoreFactory } from './store-contract-support.ts';

/**
 * The Store contract: every implementation runs exactly these tests (PowerSync's register-*-tests idea), each
 * on a fresh database from `factory`. Call it inside a `describe` per backend.
 */
export function registerStoreTests(factory: StoreFactory): void {
  registerPersonStoreTests(factory);
  registerRecordStoreTests(factory);
  registerSyncStateStoreTests(factory);
}
