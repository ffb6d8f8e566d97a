import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { ChangePage, CrmConnector } from '../../src/connectors/connector.ts';
import { isCrmError } from '../../src/connectors/crm-error.ts';
import { passesSyncFilter, syncFilterAttribute } from '../../src/domain/sync-entities.ts';
import {
  crmCursorName,
  defaultEngineSettings,
  runPass,
  syncEntitiesOf,
  type EngineDeps,
  type EngineSettings,
  type PassOutcome,
} from '../../src/engine/engine.ts';
import type { Store } from '../../src/store/store.ts';
import { overriding } from '../helpers/overriding.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

/**
 * The CRM side of a pass reads every entity's change-tracking chain from the start of the pass, a few pages
 * ahead of the entity's turn, while what is applied — which pages, in which order, with which cursors — stays
 * as the turn rules say (B2.2, B2.4, B2.7). These scenarios watch the connector's page iterators and the
 * store's cursor writes of a real pass against the emulator process.
 */

type PullEvent =
  /** The engine asked the connector for the entity's next page (`next()` on the connector's iterator). */
  | { type: 'asked'; entity: string }
  | { type: 'read'; entity: string; cursor: string; final: boolean }
  | { type: 'failed'; entity: string; errorClass: string | undefined }
  /** The page's cursor was written in its apply transaction (B2.4). */
  | { type: 'applied'; entity: string; cursor: string };

interface Gate {
  /** The entity whose first apply is held… */
  readonly held: string;
  /** …until this entity's first page has been read (or has failed). */
  readonly until: string;
}

interface TracedPull {
  readonly events: PullEvent[];
  /** Whether the gate gave up waiting (the later entity's page was not read while the earlier one waited). */
  gaveUp: boolean;
  pass(signal?: AbortSignal): Promise<PassOutcome>;
  /** Runs once, right after a cursor of `entity` is written (inside the apply transaction). */
  afterApply(entity: string, count: number, action: () => void): void;
}

const eventsOf = (events: readonly PullEvent[], type: PullEvent['type'], entity: string) =>
  events.filter((event) => event.type === type && event.entity === entity);

function tracedPull(world: SyncWorld, settings: Partial<EngineSettings>, gate?: Gate): TracedPull {
  const events: PullEvent[] = [];
  const hooks: { entity: string; count: number; action: () => void }[] = [];
  let releaseGate: (() => void) | undefined;
  const gateOpen =
    gate === undefined
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          releaseGate = resolve;
        });
  const traced: TracedPull = {
    events,
    gaveUp: false,
    pass: (signal) =>
      runPass(
        deps,
        { ...defaultEngineSettings, intervalSeconds: 3600, ...settings },
        { trigger: 'test', signal },
      ),
    afterApply: (entity, count, action) => hooks.push({ entity, count, action }),
  };

  const crm = world.deps.crm;
  const readChanges: CrmConnector['readChanges'] = (entity, select, cursor, options) => {
    const source = crm.readChanges(entity, select, cursor, options)[Symbol.asyncIterator]();
    const iterator: AsyncIterator<ChangePage> = {
      async next() {
        events.push({ type: 'asked', entity });
        try {
          const result = await source.next();
          if (!result.done) {
            events.push({ type: 'read', entity, cursor: result.value.cursor, final: result.value.final });
          }
          return result;
        } catch (error) {
          events.push({
            type: 'failed',
            entity,
            errorClass: isCrmError(error) ? error.errorClass : undefined,
          });
          throw error;
        } finally {
          if (entity === gate?.until) releaseGate?.();
        }
      },
      return: (value?: unknown) =>
        source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    };
    return { [Symbol.asyncIterator]: () => iterator };
  };
  const tracedCrm = overriding(crm, { readChanges });

  const store = world.deps.store;
  const withTransaction: Store['withTransaction'] = (work) =>
    store.withTransaction((tx) => {
      const setCursor: typeof tx.setCursor = async (name, cursor) => {
        const entity = name.startsWith('crm:') ? name.slice(4) : undefined;
        if (
          entity !== undefined &&
          entity === gate?.held &&
          eventsOf(events, 'applied', entity).length === 0
        ) {
          const timedOut = Symbol('timed out');
          if ((await Promise.race([gateOpen, sleep(15_000, timedOut, { ref: false })])) === timedOut)
            traced.gaveUp = true;
        }
        await tx.setCursor(name, cursor);
        if (entity === undefined) return;
        events.push({ type: 'applied', entity, cursor });
        const applied = eventsOf(events, 'applied', entity).length;
        for (const hook of hooks) if (hook.entity === entity && hook.count === applied) hook.action();
      };
      return work(overriding(tx, { setCursor }));
    });
  const tracedStore = overriding(store, { withTransaction });

  const deps: EngineDeps = { ...world.deps, crm: tracedCrm, store: tracedStore };
  return traced;
}

/** What the turn rule applies: entities in dependency order, at most `perTurn` pages each per round. */
function turnSchedule(
  order: readonly string[],
  pages: ReadonlyMap<string, number>,
  perTurn: number,
): string[] {
  const left = new Map(order.map((entity) => [entity, pages.get(entity) ?? 0]));
  const schedule: string[] = [];
  while ([...left.values()].some((count) => count > 0)) {
    for (const entity of order) {
      const take = Math.min(perTurn, left.get(entity)!);
      for (let page = 0; page < take; page += 1) schedule.push(entity);
      left.set(entity, left.get(entity)! - take);
    }
  }
  return schedule;
}

function dependencyOrder(settings: Partial<EngineSettings>): string[] {
  return syncEntitiesOf({ ...defaultEngineSettings, ...settings })
    .sort((a, b) => a.stage - b.stage)
    .map((entity) => entity.name);
}

const seed = { seed: 'demo' as const, contacts: 10, leads: 4, accounts: 2 };

describe('engine: reading ahead of the turns (B2.2, B2.4, B2.7)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`a later entity's first page is read before an earlier entity's first page is applied; pages, order and cursors are as the turns say (${store})`, () =>
      emulator.run({ store, seed }, async (world) => {
        const settings = { pageSize: 2, maxPagesPerTurn: 2 };
        // The contact's first apply waits for new_subscription's first page: without reading ahead, that page
        // is asked for only on new_subscription's turn, after two contact pages, and the wait gives up.
        const pull = tracedPull(world, settings, { held: 'contact', until: 'new_subscription' });
        const outcome = await pull.pass();
        assert.equal(outcome.status, 'succeeded', outcome.error ?? '');
        assert.equal(pull.gaveUp, false, "new_subscription's first page was read while contact waited");

        const order = dependencyOrder(settings).filter(
          (entity) => eventsOf(pull.events, 'applied', entity).length > 0,
        );
        const pages = new Map(order.map((entity) => [entity, eventsOf(pull.events, 'read', entity).length]));
        assert.ok(pages.get('contact')! >= 5, `contact pages: ${pages.get('contact')}`);
        const applied = pull.events.filter((event) => event.type === 'applied').map((event) => event.entity);
        assert.deepEqual(applied, turnSchedule(order, pages, settings.maxPagesPerTurn), 'apply order');

        for (const entity of order) {
          const read = eventsOf(pull.events, 'read', entity) as Extract<PullEvent, { type: 'read' }>[];
          const cursors = eventsOf(pull.events, 'applied', entity).map(
            (event) => (event as { cursor: string }).cursor,
          );
          assert.deepEqual(
            cursors,
            read.map((page) => page.cursor),
            `${entity}: every page read applied once, in order`,
          );
          assert.deepEqual(
            read.map((page) => page.final),
            read.map((_, index) => index === read.length - 1),
            `${entity}: only the last page carries the delta link`,
          );
          assert.equal(await world.testStore.store.getCursor(crmCursorName(entity)), cursors.at(-1));
        }
        const contacts = await world.testStore.store.listLinks('contact', { limit: 100 });
        assert.equal(new Set(contacts.items.map((link) => link.personId)).size, contacts.items.length);
      }));
  }

  test('an aborted pass stops reading ahead; the cursor is the last applied page’s, and the next pass goes on from it', () =>
    emulator.run({ seed }, async (world) => {
      const settings = { pageSize: 2, maxPagesPerTurn: 4 };
      const pull = tracedPull(world, settings);
      const abort = new AbortController();
      pull.afterApply('contact', 2, () => abort.abort());
      const outcome = await pull.pass(abort.signal);
      assert.equal(outcome.status, 'aborted');

      const applied = eventsOf(pull.events, 'applied', 'contact') as Extract<
        PullEvent,
        { type: 'applied' }
      >[];
      assert.equal(applied.length, 2);
      assert.ok(
        eventsOf(pull.events, 'asked', 'contact').length >= 3,
        'page 3 was asked for before page 2 was applied',
      );
      // B2.4: pages read ahead are dropped with the pass; only applied ones moved the cursor.
      assert.equal(await world.testStore.store.getCursor(crmCursorName('contact')), applied[1].cursor);
      const asked = pull.events.filter((event) => event.type === 'asked').length;
      await sleep(300);
      assert.equal(
        pull.events.filter((event) => event.type === 'asked').length,
        asked,
        'nothing asked after the pass',
      );

      const next = tracedPull(world, settings);
      assert.equal((await next.pass()).status, 'succeeded');
      const contactIds = new Set(
        (await world.testStore.store.listLinks('contact', { limit: 100 })).items.map((link) => link.crmId),
      );
      const crmContacts = await world.crm('GET', `contacts?$select=contactid,${syncFilterAttribute}`);
      const synced = (crmContacts.json.value as Record<string, unknown>[]).filter(passesSyncFilter);
      assert.deepEqual(
        contactIds,
        new Set(synced.map((row) => row.contactid)),
        'every synced contact linked',
      );
    }));

  for (const store of storeKinds) {
    test(`an expired token met while reading ahead is handled on the entity's turn: the others apply as before, then it reconciles (${store})`, () =>
      emulator.run({ store, seed }, async (world) => {
        const settings = { pageSize: 2, maxPagesPerTurn: 4 };
        assert.equal((await tracedPull(world, settings).pass()).status, 'succeeded');
        const contacts = (await world.testStore.store.listLinks('contact', { limit: 6 })).items;
        for (const [index, link] of contacts.entries()) {
          await world.crmUpdate('contact', link.crmId, { jobtitle: `Read ahead ${index}` });
        }
        const subscription = (await world.testStore.store.listMirrorRows('new_subscription', { limit: 1 }))
          .items[0];
        await world.crmUpdate('new_subscription', subscription.id, { new_name: 'Renamed while expired' });
        const expired = await world.crm('POST', '/_emulator/expire-delta-tokens', {
          entity: 'new_subscription',
        });
        assert.equal(expired.status, 200);

        // The contact's first apply waits until new_subscription's read has failed: the failure is met ahead.
        const pull = tracedPull(world, settings, { held: 'contact', until: 'new_subscription' });
        const outcome = await pull.pass();
        assert.equal(outcome.status, 'succeeded', outcome.error ?? '');
        assert.equal(pull.gaveUp, false);
        assert.equal(outcome.counts['new_subscription.reconciles'], 1);
        const failed = pull.events.findIndex((event) => event.type === 'failed');
        assert.equal(pull.events[failed]?.entity, 'new_subscription');
        assert.equal((pull.events[failed] as { errorClass?: string }).errorClass, 'expired-cursor');

        // Applied as the turns say: the failure changed nothing before new_subscription's turn.
        const applied = pull.events.filter((event) => event.type === 'applied').map((event) => event.entity);
        const firstSubscription = applied.indexOf('new_subscription');
        assert.ok(
          failed < pull.events.findIndex((event) => event.type === 'applied' && event.entity === 'contact'),
        );
        assert.deepEqual(applied.slice(firstSubscription - 2, firstSubscription), ['lead', 'opportunity']);
        assert.equal(
          eventsOf(pull.events, 'applied', 'contact').length,
          3,
          'six changed contacts, pages of two',
        );
        // The reconcile read (after the failure) is what new_subscription applied.
        const reread = pull.events
          .slice(failed)
          .filter((event) => event.type === 'read' && event.entity === 'new_subscription')
          .map((event) => (event as { cursor: string }).cursor);
        assert.deepEqual(
          eventsOf(pull.events, 'applied', 'new_subscription').map(
            (event) => (event as { cursor: string }).cursor,
          ),
          reread,
        );
        const row = await world.testStore.store.getMirrorRow('new_subscription', subscription.id);
        assert.equal(row?.attributes.new_name, 'Renamed while expired');
        for (const [index, link] of contacts.entries()) {
          assert.equal((await world.linkedPerson('contact', link.crmId)).fields.title, `Read ahead ${index}`);
        }
      }));
  }
});
