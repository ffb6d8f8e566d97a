import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, waitFor, type SyncWorld } from './sync-world.ts';

/**
 * B2.8 immediate pushes: a committed marketing change wakes the pusher, which pushes within the push delay with
 * the pass's rules, while the pass interval (an hour here) would never come; the pass after it has nothing
 * more to write. The engine runs in this process, the emulator in its own.
 */

/** Starts the service (its first pass is the initial load) and waits for that pass to end. */
async function startAndLoad(world: SyncWorld): Promise<void> {
  await world.service.start();
  await waitFor('the initial load', async () =>
    (await world.service.status()).initialLoad.done ? true : undefined,
  );
  await waitFor('the first pass to end', async () =>
    (await world.service.status()).state === 'running' ? undefined : true,
  );
}

async function passCount(world: SyncWorld): Promise<number> {
  return (await world.testStore.store.listPasses({ limit: 100 })).items.length;
}

async function linkedCrmIds(world: SyncWorld, entity: 'lead' | 'contact', count: number): Promise<string[]> {
  const links = await world.testStore.store.listLinks(entity, { limit: 100 });
  const ids = links.items.filter((link) => link.state === 'active').map((link) => link.crmId);
  assert.ok(ids.length >= count, `at least ${count} linked ${entity}s`);
  return ids.slice(0, count);
}

async function crmValueIs(world: SyncWorld, entity: string, id: string, attribute: string, value: unknown) {
  return waitFor(`${entity} ${id} ${attribute} = ${String(value)}`, async () =>
    (await world.crmGet(entity, id, [attribute]))[attribute] === value ? true : undefined,
  );
}

describe('engine: immediate pushes (B2.8)', () => {
  const emulator = useEmulator();
  const settings = { intervalSeconds: 3600, pushDelayMs: 400 };

  for (const store of storeKinds) {
    test(`B2.8 edits committed together are pushed in one write without a pass; the next pass writes nothing more, no echo (${store})`, () =>
      emulator.run({ store, settings }, async (world) => {
        await startAndLoad(world);
        const passes = await passCount(world);
        assert.equal(
          (await world.service.status()).latency.fromCrm.count,
          0,
          'the initial load is not timed',
        );
        const [first, second] = await linkedCrmIds(world, 'contact', 2);
        const ann = await world.linkedPerson('contact', first);
        const bob = await world.linkedPerson('contact', second);
        world.calls.length = 0;

        await world.editPerson(ann.id, { title: 'Fast lane A' });
        await world.editPerson(bob.id, { title: 'Fast lane B' });
        await crmValueIs(world, 'contact', first, 'jobtitle', 'Fast lane A');
        await crmValueIs(world, 'contact', second, 'jobtitle', 'Fast lane B');
        const writes = world.calls.filter((call) => call.method === 'write');
        assert.equal(writes.length, 1, 'both edits went in one push (coalesced within the delay)');
        assert.deepEqual(
          writes[0].operations?.map((operation) => operation.id).sort(),
          [first, second].sort(),
        );
        assert.equal(await passCount(world), passes, 'no pass ran: the interval is an hour');
        const { latency } = await world.service.status();
        assert.equal(latency.toCrm.count, 2);
        assert.ok(latency.toCrm.p50Ms !== null && latency.toCrm.p99Ms! < 60_000, JSON.stringify(latency));

        // The pass after the fast path: our own writes come back from the CRM unchanged (B4.4), nothing is left.
        const activities = (await world.activities(ann.id)).length + (await world.activities(bob.id)).length;
        const version = await world.crmVersion();
        world.calls.length = 0;
        const counts = await world.pass();
        assert.deepEqual(world.writes(), [], 'no CRM write');
        assert.equal(await world.crmVersion(), version, 'the CRM is unchanged');
        assert.equal(counts['contact.toCrm.updated'] ?? 0, 0);
        assert.equal(counts['contact.fromCrm.updated'] ?? 0, 0, 'no echo');
        assert.equal(
          (await world.activities(ann.id)).length + (await world.activities(bob.id)).length,
          activities,
          'no second activity',
        );
        assert.equal((await world.testStore.store.listPendingPushes({ limit: 10 })).items.length, 0);
      }));

    test(`B2.8 B4.3 a collision on the fast path: re-read on 412, the marketing value wins for a lead, the loser is logged once (${store})`, () =>
      emulator.run({ store, settings }, async (world) => {
        await startAndLoad(world);
        const [leadId] = await linkedCrmIds(world, 'lead', 1);
        const person = await world.linkedPerson('lead', leadId);
        // A CRM user edits the same field between the engine's last read and its push (B4.5).
        world.beforeNextWrite(() => world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' }));
        await world.editPerson(person.id, { title: 'Marketing title' });
        await crmValueIs(world, 'lead', leadId, 'jobtitle', 'Marketing title');
        const conflicts = await world.testStore.store.listConflicts({ limit: 10, personId: person.id });
        assert.deepEqual(
          conflicts.items.map((conflict) => [conflict.field, conflict.winner, conflict.crmValue]),
          [['title', 'marketing', 'CRM title']],
        );
        const logged = (await world.activities(person.id)).filter(
          (activity) => activity.type === 'crm.conflict',
        );
        assert.equal(logged.length, 1);
        assert.equal((await world.linkedPerson('lead', leadId)).fields.title, 'Marketing title');
        const counts = await world.pass();
        assert.equal(counts['lead.conflicts'] ?? 0, 0, 'the pass finds the collision settled');
        assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing title');
      }));

    test(`B8.1 while the sync is disabled nothing is pushed; enabled, the change arrives (${store})`, () =>
      emulator.run({ store, settings }, async (world) => {
        await startAndLoad(world);
        const [contactId] = await linkedCrmIds(world, 'contact', 1);
        const person = await world.linkedPerson('contact', contactId);
        const before = (await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle;
        await world.service.setEnabled(false);
        world.calls.length = 0;
        await world.editPerson(person.id, { title: 'Edited while disabled' });
        // Several push delays: an immediate pusher that ignored B8.1 would have pushed by now.
        await sleep(4 * settings.pushDelayMs);
        assert.deepEqual(world.writes(), []);
        assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, before);
        await world.service.setEnabled(true);
        await crmValueIs(world, 'contact', contactId, 'jobtitle', 'Edited while disabled');
      }));

    test(`B2.8 changes carried by a pass are timed: a CRM change from its modifiedon, a marketing one from its commit (${store})`, () =>
      emulator.run({ store, settings: { ...settings, pushDelayMs: 0 } }, async (world) => {
        await startAndLoad(world);
        const [contactId, otherId] = await linkedCrmIds(world, 'contact', 2);
        await world.crmUpdate('contact', contactId, { firstname: 'Timed' });
        await world.editPerson((await world.linkedPerson('contact', otherId)).id, { title: 'Timed too' });
        await world.pass();
        const { fromCrm, toCrm } = (await world.service.status()).latency;
        assert.equal(fromCrm.count, 1);
        // modifiedon is stamped to the second: the sample is at most a second longer than the truth.
        assert.ok(fromCrm.p50Ms !== null && fromCrm.p50Ms < 60_000, JSON.stringify(fromCrm));
        assert.equal(toCrm.count, 1, 'the pass pushed the marketing edit');
      }));
  }
});
