import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEngineSettings, runPass, type EngineSettings } from '../../src/engine/engine.ts';
import { useEmulator, waitFor, type SyncWorld } from './sync-world.ts';

/**
 * Issue 13 item 5: the holes in pull, reconcile and backfill. Over real HTTP against the emulator process.
 * - B2.5: a reconcile interrupted after its first page (a disable aborts the pass at a page boundary, B8.1)
 *   still sweeps vanished records at the end of the resumed read;
 * - B2.3, B3.6: an entity without change tracking sees deletes through the periodic sweep;
 * - B5.5: a CRM edit of a field made while it backfills reaches the person.
 */

async function expectOk(world: SyncWorld, method: string, path: string, body?: unknown) {
  const response = await world.crm(method, path, body);
  assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${JSON.stringify(response.json)}`);
  return response.json;
}

async function mirrorRow(world: SyncWorld, entity: string, id: string) {
  const row = await world.testStore.store.getMirrorRow(entity, id);
  assert.ok(row, `${entity} ${id} is mirrored`);
  return row;
}

describe('engine: reconcile, untracked deletes and backfill races (B2.3, B2.5, B3.6, B5.5)', () => {
  const emulator = useEmulator();

  const settings: EngineSettings = {
    ...defaultEngineSettings,
    intervalSeconds: 3600,
    pageSize: 50,
    // One page per entity per turn: the account and contact reconciles are both mid-read when the pass stops.
    maxPagesPerTurn: 1,
  };

  test('B2.5 B8.1 a reconcile stopped after its first page still sweeps at the end of the resumed read', () =>
    emulator.run(
      { seed: { seed: 'demo', contacts: 120, leads: 2, accounts: 120 }, settings },
      async (world) => {
        const doomedContact = await world.crmCreate('contact', {
          lastname: 'Doomed',
          emailaddress1: 'doomed-contact@scenario.test',
        });
        const doomedAccount = await world.crmCreate('account', { name: 'Doomed Account' });
        await world.pass();
        const person = await world.linkedPerson('contact', doomedContact);
        assert.equal((await mirrorRow(world, 'account', doomedAccount)).deleted, false);

        // Deleted while the change-tracking tokens are (about to be) expired: no delta will ever report them.
        await world.crmDelete('contact', doomedContact);
        await world.crmDelete('account', doomedAccount);
        await expectOk(world, 'POST', '/_emulator/expire-delta-tokens', {});

        // The pass is stopped right after the contact reconcile applied its first page (a disable, B8.1).
        const abort = new AbortController();
        const stopped = await runPass(world.deps, settings, {
          trigger: 'test',
          signal: abort.signal,
          onProgress: (event) => {
            if (event.entity === 'contact' && event.rows > 0) abort.abort();
          },
        });
        assert.equal(stopped.status, 'aborted');
        assert.equal(stopped.counts['contact.reconciles'], 1, 'the contact reconcile started');
        assert.equal(stopped.counts['account.reconciles'], 1, 'the account reconcile started');
        assert.notEqual((await world.testStore.store.getPerson(person.id))?.fields.crmIsDeleted, true);
        assert.equal((await mirrorRow(world, 'account', doomedAccount)).deleted, false, 'not swept yet');

        // The next pass resumes both reads from their saved pages and sweeps at their ends.
        await world.pass();
        assert.equal((await world.testStore.store.getPerson(person.id))?.fields.crmIsDeleted, true);
        const activities = await world.activities(person.id);
        assert.equal(activities.filter((activity) => activity.type === 'crm.deleted').length, 1);
        assert.equal((await mirrorRow(world, 'account', doomedAccount)).deleted, true, 'tombstoned');
        // The sweep is done: one more pass sweeps nothing and writes nothing.
        const counts = await world.pass();
        assert.equal(counts['contact.swept'], undefined);
        assert.equal(counts['contact.reconciles'], undefined);
      },
    ));

  test('B2.3 B3.6 entities without change tracking see deletes through the periodic sweep', () =>
    emulator.run(
      {
        seed: { seed: 'demo', contacts: 20, leads: 2, accounts: 2 },
        settings: { deleteSweepSeconds: 0 },
      },
      async (world) => {
        for (const entity of ['contact', 'new_subscription'])
          await expectOk(world, 'PUT', '/_emulator/change-tracking', { entity, enabled: false });
        try {
          const contact = await world.crmCreate('contact', {
            lastname: 'Untracked',
            emailaddress1: 'untracked@scenario.test',
          });
          const subscriptions = await expectOk(world, 'GET', 'new_subscriptions?$select=new_subscriptionid');
          const subscription = subscriptions.value[0].new_subscriptionid as string;
          await world.pass();
          const person = await world.linkedPerson('contact', contact);
          assert.equal((await mirrorRow(world, 'new_subscription', subscription)).deleted, false);

          await world.crmDelete('contact', contact);
          await world.crmDelete('new_subscription', subscription);
          const counts = await world.pass();
          assert.equal((await world.testStore.store.getPerson(person.id))?.fields.crmIsDeleted, true);
          assert.equal(
            (await world.activities(person.id)).filter((activity) => activity.type === 'crm.deleted').length,
            1,
          );
          assert.equal((await mirrorRow(world, 'new_subscription', subscription)).deleted, true);
          assert.ok((counts['contact.swept'] ?? 0) > 0, 'the untracked contacts were swept');
          // Tracked entities are not swept: their delta links report deletes.
          assert.equal(counts['account.swept'], undefined);
        } finally {
          for (const entity of ['contact', 'new_subscription'])
            await expectOk(world, 'PUT', '/_emulator/change-tracking', { entity, enabled: true });
        }
      },
    ));

  test('B5.5 a CRM edit of a backfilling field, made after the backfill read the record, reaches the person', () =>
    emulator.run({ seed: { seed: 'demo', contacts: 600, leads: 2, accounts: 4 } }, async (world) => {
      const { store } = world.testStore;
      await world.pass();
      const selected = (await world.service.listFields())
        .filter((field) => field.entity === 'contact' && field.selected)
        .map((field) => field.attribute);
      await world.service.saveFields({ contact: [...selected, 'fullname'] });
      // Slow CRM: the backfill's twelve pages take seconds, a pass runs while it does.
      await expectOk(world, 'PUT', '/_emulator/faults', { latencyMs: 250 });
      const backfill = world.service.backfills.runPending();

      // A record the backfill has read and written…
      const edited = await waitFor('a backfilled contact', async () => {
        const links = await store.listLinks('contact', { limit: 1000 });
        for (const link of links.items) {
          const person = await store.getPerson(link.personId);
          if (typeof person?.fields.fullname === 'string') return { link, person };
        }
        return undefined;
      });
      // …is edited in the CRM (fullname follows firstname), and a pass runs before the backfill ends.
      await world.crmUpdate('contact', edited.link.crmId, { firstname: 'Edited' });
      const expected = (await world.crmGet('contact', edited.link.crmId, ['fullname'])).fullname;
      assert.match(String(expected), /^Edited /);
      await world.pass();
      const [job] = (await store.listBackfillJobs({ limit: 10 })).items;
      assert.equal(job.status, 'running', 'the pass ran while the field was backfilling');

      assert.equal(await backfill, 1);
      await expectOk(world, 'PUT', '/_emulator/faults', {});
      const counts = await world.pass();
      assert.equal((await store.getPerson(edited.person.id))?.fields.fullname, expected);
      assert.equal(counts['contact.rewinds'], 1);
      // Rewinding re-reads changes: the others are unchanged and nothing is pushed.
      assert.deepEqual(world.writes(), []);
    }));
});
