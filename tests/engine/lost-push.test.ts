import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, waitFor, type SyncWorld } from './sync-world.ts';

/**
 * Issue 13 item 6: a push whose answer is lost (drop-after-commit: the write lands, the answer never arrives)
 * must not leave a stale base (B4.1). The engine re-reads the record at once: the pushed value it finds there
 * becomes the base, so a CRM edit made after the push landed is a one-side change (B4.2), not a collision
 * (B4.3) that the marketing side would win.
 */
async function linkedLead(world: SyncWorld, email: string) {
  const leadId = await world.crmCreate('lead', {
    subject: 'Lost answer',
    lastname: 'Lost',
    emailaddress1: email,
    jobtitle: 'Base title',
  });
  await world.pass();
  return { leadId, person: await world.linkedPerson('lead', leadId) };
}

async function assertOneConflict(world: SyncWorld, leadId: string, personId: string) {
  assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing title');
  assert.equal((await world.linkedPerson('lead', leadId)).fields.firstName, 'Again');
  const conflicts = await conflictsOf(world, personId);
  assert.equal(conflicts.length, 1, JSON.stringify(conflicts));
  assert.equal(conflicts[0].crmValue, 'CRM title');
  assert.equal(conflicts[0].marketingValue, 'Marketing title');
  assert.equal(conflicts[0].winner, 'marketing');
  const activities = await world.activities(personId);
  assert.equal(activities.filter((a) => a.type === 'crm.conflict').length, 1);
}

async function conflictsOf(world: SyncWorld, personId: string) {
  return (await world.testStore.store.listConflicts({ personId, limit: 100 })).items;
}

describe('engine: a push whose answer was lost (B4.1, B6.2, issue 13 item 6)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    for (const [what, retry] of [
      // The connector's retry budget is spent by lost answers alone: the outcome stays "transient".
      ['no retry left', { maxAttempts: 1 }],
      // The default retry budget: an ETag-guarded update whose answer was lost is not re-sent blindly either.
      ['default retries', {}],
    ] as const) {
      test(`B4.2 a CRM edit after a push that landed unanswered wins, no conflict logged — ${what} (${store})`, () =>
        emulator.run({ store, retry }, async (world) => {
          const { leadId, person } = await linkedLead(
            world,
            `lost-${store}-${retry.maxAttempts ?? 6}@push.test`,
          );
          await world.editPerson(person.id, { title: 'Marketing title' });
          await world.crm('PUT', '/_emulator/faults', { seed: 5, dropAfterCommitRate: 1 });
          try {
            await world.pass();
          } finally {
            await world.crm('PUT', '/_emulator/faults', {});
          }
          assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing title');
          const pending = await world.testStore.store.getPendingPush('lead', leadId);
          assert.equal(pending, undefined, 'the re-read settled the mark: the CRM holds the pushed value');
          // A CRM user changes the title after Syncline's push landed.
          await world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' });
          await world.pass();
          assert.equal((await world.linkedPerson('lead', leadId)).fields.title, 'CRM title');
          assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'CRM title');
          assert.deepEqual(await conflictsOf(world, person.id), [], 'sequential writes are no collision');
          const activities = await world.activities(person.id);
          assert.equal(activities.filter((a) => a.type === 'crm.conflict').length, 0);
        }));
    }

    test(`B4.2 the engine learns what landed at once, not after the connector's back-off: a CRM edit meanwhile wins (${store})`, () =>
      // Seed 22 of the chaos harness: the connector re-sent the dropped update after its back-off, met a 412 and
      // re-read only then — after a CRM user had changed the pushed value, which was then judged a collision.
      emulator.run({ store, retry: { baseDelayMs: 2000, maxDelayMs: 4000 } }, async (world) => {
        const { leadId, person } = await linkedLead(world, `backoff-${store}@push.test`);
        await world.editPerson(person.id, { title: 'Marketing title' });
        await world.crm('PUT', '/_emulator/faults', { seed: 5, dropAfterCommitRate: 1 });
        // A CRM user who sees the pushed value and changes it 300 ms later (the first back-off is ≥ 1 s).
        const crmUser = (async () => {
          await waitFor('the push to land', async () =>
            (await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle === 'Marketing title'
              ? true
              : undefined,
          );
          await world.crm('PUT', '/_emulator/faults', {});
          await new Promise((resolve) => setTimeout(resolve, 300));
          await world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' });
        })();
        try {
          await world.pass();
        } finally {
          await crmUser.finally(() => world.crm('PUT', '/_emulator/faults', {}));
        }
        await world.pass();
        assert.equal((await world.linkedPerson('lead', leadId)).fields.title, 'CRM title');
        assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'CRM title');
        assert.deepEqual(await conflictsOf(world, person.id), [], 'sequential writes are no collision');
      }));

    test(`B4.3 a collision re-merged after a 412 is logged exactly once (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const { leadId, person } = await linkedLead(world, `twice-412-${store}@push.test`);
        await world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' });
        await world.editPerson(person.id, { title: 'Marketing title' });
        // Between the pull (which decides the collision: marketing wins for a lead) and the push, a CRM user
        // edits another field: the push meets a 412 and the record is re-read and merged again (B4.5).
        world.beforeNextWrite(() => world.crmUpdate('lead', leadId, { firstname: 'Again' }));
        await world.pass();
        await assertOneConflict(world, leadId, person.id);
      }));

    test(`B4.3 a collision whose push failed is logged exactly once when the next pass re-merges it (${store})`, () =>
      emulator.run({ store, retry: { maxAttempts: 1 } }, async (world) => {
        const { leadId, person } = await linkedLead(world, `twice-pass-${store}@push.test`);
        await world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' });
        await world.editPerson(person.id, { title: 'Marketing title' });
        // The collision is decided, but the push fails (5xx) and stays pending (B6.2).
        world.beforeNextWrite(async () => {
          await world.crm('PUT', '/_emulator/faults', { seed: 3, http5xxRate: 1 });
        });
        try {
          await world.pass();
        } finally {
          await world.crm('PUT', '/_emulator/faults', {});
        }
        assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'CRM title');
        // Another CRM change of the record brings it into the next pass's pull: the same collision again.
        await world.crmUpdate('lead', leadId, { firstname: 'Again' });
        await world.pass();
        await assertOneConflict(world, leadId, person.id);
      }));
  }
});
