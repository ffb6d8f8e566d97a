import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import type { TestDatabase } from '../helpers/test-store.ts';
import type { Page, PersonChange, PersonStore } from '../../src/store/person-store.ts';

/** How a backend's test file hands the contract suite fresh databases. */
export interface StoreFactory {
  readonly name: string;
  /** A new, empty database (not migrated); the suite disposes it. */
  createDatabase(): Promise<TestDatabase>;
}

/** Opens a migrated store on a fresh database, runs `fn`, then closes and drops everything. */
export async function withStore(
  factory: StoreFactory,
  fn: (store: Store, database: TestDatabase) => Promise<void>,
) {
  const database = await factory.createDatabase();
  const store = await createStore(database.config, silentLogger());
  try {
    await store.migrate();
    await fn(store, database);
  } finally {
    await store.close();
    await database.dispose();
  }
}

/** `test` with a fresh migrated store per test (the contract suite's `it`). */
export function storeTest(factory: StoreFactory) {
  return (name: string, fn: (store: Store, database: TestDatabase) => Promise<void>): void => {
    test(name, () => withStore(factory, fn));
  };
}

/**
 * `storeTest` for one port's suite: `narrow` states the ports the suite may use (`(store): LinkStore &
 * PersonStore => store`), so a test reaching past its port fails to compile rather than blurring the split.
 */
export function portTest<P>(factory: StoreFactory, narrow: (store: Store) => P) {
  return (name: string, fn: (store: P, database: TestDatabase) => Promise<void>): void => {
    test(name, () => withStore(factory, (store, database) => fn(narrow(store), database)));
  };
}

/** A second store (another "process") on the same database. */
export async function withSecondStore(database: TestDatabase, fn: (store: Store) => Promise<void>) {
  const store = await createStore(database.config, silentLogger());
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Follows `nextCursor` until the end, returning every item in order. */
export async function collectPages<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await read(cursor);
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error('paging did not terminate');
}

/** Asserts `promise` rejects with a SynclineError of `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, `expected ${code}, got ${String(error)}`);
    return true;
  });
}

/** Reads the change feed after `after` until a page comes back empty. */
export async function readChanges(
  store: Pick<PersonStore, 'readPersonChanges'>,
  after?: string,
): Promise<{ items: PersonChange[]; after?: string }> {
  const items: PersonChange[] = [];
  for (;;) {
    const page = await store.readPersonChanges(after, 100);
    if (page.items.length === 0) return { items, after };
    items.push(...page.items);
    after = page.nextCursor ?? undefined;
  }
}

/** Every change visible now, from the beginning. */
export async function allChanges(store: Pick<PersonStore, 'readPersonChanges'>): Promise<PersonChange[]> {
  return (await readChanges(store)).items;
}

/**
 * Reads until at least `count` changes after `after` have arrived. On PostgreSQL the feed withholds changes
 * while any older transaction in the cluster is still running (another test file's, say) — delayed, never
 * lost — so "an empty page" does not prove "everything committed was read"; this waits (bounded) instead.
 */
export async function waitForChanges(
  store: Pick<PersonStore, 'readPersonChanges'>,
  count: number,
  after?: string,
): Promise<{ items: PersonChange[]; after?: string }> {
  const items: PersonChange[] = [];
  const deadline = Date.now() + 15_000;
  for (;;) {
    const read = await readChanges(store, after);
    items.push(...read.items);
    after = read.after;
    if (items.length >= count || Date.now() > deadline) return { items, after };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
