import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEngineSettings, SyncService } from '../../src/engine/engine.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator } from './sync-world.ts';

/** B6.5 counts that mean something, over HTTP against the emulator process, on both stores. */
describe('status counts (B6.5)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`the initial-load bar has the CRM's snapshot total and resumes after a restart (${store})`, async () => {
      await emulator.run({ store, settings: { pageSize: 2 } }, async (world) => {
        const snapshot = (await world.crm('GET', '/_emulator/record-counts')).json.counts as Record<
          string,
          number
        >;
        // Created after the snapshot: the load reads them, the snapshot does not count them.
        await world.crmCreate('contact', { lastname: 'Late', emailaddress1: 'late1@example.com' });
        await world.crmCreate('contact', { lastname: 'Later', emailaddress1: 'late2@example.com' });

        // The process dies after the third page it applied.
        let pages = 0;
        world.service.engine.onProgress = () => {
          if (++pages === 3) throw new Error('killed');
        };
        const crashed = await world.service.engine.runOnce('test');
        assert.equal(crashed.status, 'failed');
        const before = (await world.service.status()).initialLoad;
        assert.equal(before.done, false);
        assert.ok(before.processed >= 3, JSON.stringify(before));
        const entities = before.entities.map((row) => row.entity);
        assert.ok(entities.includes('contact') && entities.includes('lead'), entities.join());
        const expectedTotal = entities.reduce((sum, entity) => sum + (snapshot[entity] ?? 0), 0);
        assert.equal(before.total, expectedTotal);
        assert.ok(before.totalCountedAt !== null);

        // A new process on the same database: the bar stands where the load stands, not at 0.
        const restarted = new SyncService(world.deps, {
          ...defaultEngineSettings,
          intervalSeconds: 3600,
          pageSize: 2,
        });
        const resumed = (await restarted.status()).initialLoad;
        assert.equal(resumed.processed, before.processed);
        assert.equal(resumed.total, expectedTotal);
        const outcome = await restarted.engine.runOnce('test');
        assert.equal(outcome.status, 'succeeded', outcome.error ?? '');
        const done = (await restarted.status()).initialLoad;
        assert.equal(done.done, true);
        assert.equal(done.total, expectedTotal, 'the total is asked once, not again after the restart');
        // Every row read once: what the CRM holds now, two more than its snapshot counted.
        const rows = (await world.crm('GET', '/_emulator/stats')).json.rows as Record<string, number>;
        assert.equal(
          done.processed,
          entities.reduce((sum, entity) => sum + (rows[entity] ?? 0), 0),
        );
        assert.equal(done.processed, expectedTotal + 2);
        assert.ok(done.entities.every((row) => row.done));
        // Later passes are no initial load: the bar stays as it ended.
        await world.crmCreate('contact', { lastname: 'After', emailaddress1: 'after@example.com' });
        await restarted.engine.runOnce('test');
        assert.equal((await restarted.status()).initialLoad.processed, done.processed);
      });
    });
  }

  test('fromCrm.pending is what the next pass reads: changes since the delta token, or after the modifiedon watermark', async () => {
    await emulator.run({}, async (world) => {
      // Opportunities without change tracking: read by a modifiedon watermark.
      await world.crm('PUT', '/_emulator/change-tracking', { entity: 'opportunity', enabled: false });
      await world.pass();
      const contacts = (await world.crm('GET', 'contacts?$select=contactid&$top=2')).json.value;
      const leads = (await world.crm('GET', 'leads?$select=leadid&$top=1')).json.value;
      const opportunities = (await world.crm('GET', 'opportunities?$select=opportunityid&$top=1')).json.value;
      await new Promise((resolve) => setTimeout(resolve, 1100)); // modifiedon has whole seconds
      await world.crmCreate('contact', { lastname: 'New', emailaddress1: 'new@example.com' });
      await world.crmUpdate('contact', contacts[0].contactid, { jobtitle: 'Changed' });
      await world.crmDelete('lead', leads[0].leadid);
      await world.crmUpdate('opportunity', opportunities[0].opportunityid, { name: 'Moved on' });

      const status = await world.service.status();
      assert.deepEqual(pick(status.entities.contact.fromCrm), {
        pending: 2,
        basis: 'delta-token',
        atLeast: false,
      });
      assert.deepEqual(pick(status.entities.lead.fromCrm), {
        pending: 1,
        basis: 'delta-token',
        atLeast: false,
      });
      assert.deepEqual(pick(status.entities.opportunity.fromCrm), {
        pending: 1,
        basis: 'modifiedon',
        atLeast: false,
      });
      assert.deepEqual(pick(status.entities.account.fromCrm), {
        pending: 0,
        basis: 'delta-token',
        atLeast: false,
      });
      assert.ok(status.entities.contact.fromCrm.countedAt !== null);

      // The pass reads them: counted again after it, not served from the last count.
      await world.pass();
      const after = await world.service.status();
      for (const entity of ['contact', 'lead', 'opportunity'])
        assert.equal(after.entities[entity].fromCrm.pending, 0, entity);
    });
  });

  test('the ETA drains the push backlog at the push rate, not at the rate records came from the CRM', async () => {
    await emulator.run({}, async (world) => {
      await world.pass();
      const contacts = (await world.crm('GET', 'contacts?$select=contactid')).json.value;
      let marked = 0;
      for (const { contactid } of contacts) {
        const link = await world.deps.store.getLink('contact', contactid);
        if (link === undefined || marked === 2) continue;
        await world.deps.store.markPendingPush('contact', contactid, link.personId, null);
        marked += 1;
      }
      const before = (await world.service.status()).entities.contact;
      assert.equal(before.toCrm.pending, 2);
      assert.ok(before.syncedLastHour > 0, 'the initial load read contacts this hour');
      assert.equal(before.etaSeconds, null, 'nothing was pushed in the last hour: no rate to drain at');
      await world.deps.store.addSyncedCount('contact', 'toCrm', 120);
      assert.equal((await world.service.status()).entities.contact.etaSeconds, 60);
    });
  });
});

function pick(backlog: { pending: number | null; basis: string | null; atLeast: boolean }) {
  return { pending: backlog.pending, basis: backlog.basis, atLeast: backlog.atLeast };
}
