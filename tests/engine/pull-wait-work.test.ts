import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { ChangePage, CrmConnector } from '../../src/connectors/connector.ts';
import {
  defaultEngineSettings,
  marketingCursorName,
  runPass,
  type EngineDeps,
} from '../../src/engine/engine.ts';
import type { Store } from '../../src/store/store.ts';
import { overriding } from '../helpers/overriding.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

/**
 * Issue 17 (S3): what a pass does while the CRM is slower than its store. The initial load's record counts
 * (B2.6) are asked beside the first change-tracking requests instead of before them, and the marketing change
 * feed is followed between pages, so the collect after the pull has only the last pages' rows left to scan.
 * Over real HTTP against the emulator process.
 */

const seed = { seed: 'demo' as const, contacts: 60, leads: 4, accounts: 2 };

/** Every cursor the pass writes, in order (`crm:<entity>` per page, `marketing:persons` per feed part). */
function recordingCursors(store: Store, written: string[], onWrite: (name: string) => void): Store {
  const withTransaction: Store['withTransaction'] = (work) =>
    store.withTransaction((tx) => {
      const setCursor: typeof tx.setCursor = async (name, cursor) => {
        await tx.setCursor(name, cursor);
        written.push(name);
        onWrite(name);
      };
      return work(overriding(tx, { setCursor }));
    });
  return overriding(store, { withTransaction });
}

/**
 * The connector with `entity`'s second page held back until `release` resolves: the pull meets a page that is
 * not there yet whatever the machine's speed (with pages simply slow, a loaded machine may apply so slowly that
 * every page is read ahead before its turn, and the pull never waits).
 */
function holdingSecondPage(crm: CrmConnector, entity: string, release: Promise<unknown>): CrmConnector {
  const readChanges: CrmConnector['readChanges'] = (name, select, cursor, options) => {
    const pages = crm.readChanges(name, select, cursor, options);
    if (name !== entity) return pages;
    const source = pages[Symbol.asyncIterator]();
    let asked = 0;
    const iterator: AsyncIterator<ChangePage> = {
      async next() {
        asked += 1;
        if (asked === 2) await release;
        return source.next();
      },
      return: (value?: unknown) =>
        source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    };
    return { [Symbol.asyncIterator]: () => iterator };
  };
  return overriding(crm, { readChanges });
}

async function slowPages(world: SyncWorld) {
  const response = await world.crm('PUT', '/_emulator/faults', { seed: 7, latencyMs: 60 });
  assert.equal(response.status, 200, JSON.stringify(response.json));
}

describe('engine: work taken while the pull waits for the CRM (issue 17, B2.4, B2.6)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`the marketing feed is followed between pages: its cursor moves before the last contact page is applied, and a marketing edit still reaches the CRM (${store})`, () =>
      emulator.run({ store, seed, settings: { pageSize: 10 } }, async (world) => {
        await world.pass();
        const contacts = (await world.crm('GET', 'contacts?$select=contactid&$top=30')).json.value as {
          contactid: string;
        }[];
        const edited = await world.linkedPerson('contact', contacts[0].contactid);
        await world.editPerson(edited.id, { title: 'Edited before the pass' });
        for (const [index, contact] of contacts.entries())
          await world.crmUpdate('contact', contact.contactid, { description: `CRM edit ${index}` });

        // Contact's second page comes once the marketing cursor moved, or after 3 s (the pull never read the feed).
        let feedRead: () => void = () => undefined;
        const released = Promise.race([
          new Promise<void>((resolve) => (feedRead = resolve)),
          sleep(3000, undefined, { ref: false }),
        ]);
        const written: string[] = [];
        const deps: EngineDeps = {
          ...world.deps,
          crm: holdingSecondPage(world.deps.crm, 'contact', released),
          store: recordingCursors(world.deps.store, written, (name) => {
            if (name === marketingCursorName) feedRead();
          }),
        };
        const outcome = await runPass(
          deps,
          { ...defaultEngineSettings, intervalSeconds: 3600, pageSize: 10 },
          { trigger: 'test' },
        );
        assert.equal(outcome.status, 'succeeded', outcome.error ?? '');

        const contactPages = written.flatMap((name, at) => (name === 'crm:contact' ? [at] : []));
        const feed = written.flatMap((name, at) => (name === marketingCursorName ? [at] : []));
        assert.ok(contactPages.length >= 3, `contact pages applied: ${contactPages.length}`);
        assert.ok(feed.length > 0, 'the marketing cursor was written');
        assert.ok(
          feed[0] < contactPages[contactPages.length - 1],
          `the feed was read during the pull: ${written.join(', ')}`,
        );
        assert.equal(
          (await world.crmGet('contact', contacts[0].contactid, ['jobtitle'])).jobtitle,
          'Edited before the pass',
          'the change collected between pages was pushed at the end of the pass',
        );
      }));
  }

  test('B2.6 the initial load asks the record counts beside its first page requests, and keeps the totals', () =>
    emulator.run({ seed }, async (world) => {
      await slowPages(world);
      const crm = world.deps.crm;
      let pageAsked = false;
      let pageAskedBeforeCounts: boolean | undefined;
      const readChanges: CrmConnector['readChanges'] = (...args) => {
        pageAsked = true;
        return crm.readChanges(...args);
      };
      const totalRecordCounts: CrmConnector['totalRecordCounts'] = async (entities, signal) => {
        // The counts are answered only once a page was asked for (or after 3 s, when the pass waits for them
        // first): asked before the chains started and awaited there, they would hold the whole load back.
        for (let waited = 0; !pageAsked && waited < 3000; waited += 20) await sleep(20);
        pageAskedBeforeCounts = pageAsked;
        return crm.totalRecordCounts(entities, signal);
      };
      const deps: EngineDeps = { ...world.deps, crm: overriding(crm, { readChanges, totalRecordCounts }) };
      const outcome = await runPass(
        deps,
        { ...defaultEngineSettings, intervalSeconds: 3600, pageSize: 10 },
        { trigger: 'test' },
      );
      assert.equal(outcome.status, 'succeeded', outcome.error ?? '');
      assert.equal(pageAskedBeforeCounts, true, 'the first pages were asked while the counts were pending');
      const progress = await world.testStore.store.listInitialLoadProgress();
      const contact = progress.find((row) => row.entity === 'contact');
      assert.equal(contact?.total, 60, 'the total the CRM counted is kept');
      assert.equal(contact?.processed, 60);
    }));
});
