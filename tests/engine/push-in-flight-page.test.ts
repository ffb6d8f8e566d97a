import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, waitFor, type SyncWorld } from './sync-world.ts';

/**
 * B2.8, B4.4: an immediate push has landed in the CRM but the engine has not yet recorded its answer (the
 * pushed value as the base) when a CRM user edits the same field — having seen the pushed value — and a pass
 * reads that edit and applies it. The edit came after the push, so it is a one-side change: it wins, with no
 * conflict (issue 13 item 6). Applied against the base from before the push, it looked like a collision, the
 * lead kept the marketing value, and the push's late answer then cleared the push again: the two sides
 * stayed different for good (chaos seed 44 on SQLite, after immediate pushes came).
 */
async function editAfterPushLanded(world: SyncWorld) {
  await world.service.start();
  await waitFor('the initial load', async () =>
    (await world.service.status()).initialLoad.done ? true : undefined,
  );
  await waitFor('the first pass to end', async () =>
    (await world.service.status()).state === 'running' ? undefined : true,
  );
  const leadId = await world.crmCreate('lead', {
    subject: 'in flight',
    firstname: 'Flight',
    lastname: 'Lead',
    emailaddress1: 'in-flight@scenario.test',
  });
  await world.pass();
  const person = await world.linkedPerson('lead', leadId);

  let pass: Promise<Record<string, number>> | undefined;
  let passWaited = false;
  world.afterNextWrite(async () => {
    // The push of "Pushed" has landed; the CRM user sees it and changes it.
    const seen = await world.crmGet('lead', leadId, ['jobtitle']);
    assert.equal(seen.jobtitle, 'Pushed', 'the push landed before the CRM edit');
    await world.crmUpdate('lead', leadId, { jobtitle: 'Edited after the push' });
    pass = world.pass();
    passWaited = (await Promise.race([pass.then(() => 'done'), sleep(1500, 'waiting')])) === 'waiting';
  });
  await world.editPerson(person.id, { title: 'Pushed' });
  await waitFor('the immediate push and the pass', async () => (pass === undefined ? undefined : true));
  await pass;
  await world.pass();

  const after = await world.linkedPerson('lead', leadId);
  const crm = await world.crmGet('lead', leadId, ['jobtitle']);
  const conflicts = await world.testStore.store.listConflicts({ personId: person.id, limit: 10 });
  const state =
    `person ${String(after.fields.title)}, CRM ${String(crm.jobtitle)}, conflicts ` +
    `${JSON.stringify(conflicts.items.map((c) => [c.field, c.marketingValue, c.crmValue]))}, the pass ` +
    `${passWaited ? 'waited for' : 'did not wait for'} the push's answer`;
  assert.equal(after.fields.title, crm.jobtitle, `both sides agree (B4.4): ${state}`);
  assert.equal(after.fields.title, 'Edited after the push', `the later CRM edit wins: ${state}`);
  assert.deepEqual(
    conflicts.items.filter((c) => c.field === 'title'),
    [],
    `sequential writes are no collision: ${state}`,
  );
}

describe('engine: a page applied while an immediate push is in flight (B2.8, B4.4)', () => {
  const emulator = useEmulator();
  for (const store of storeKinds) {
    test(`B2.8 a CRM edit made after an immediate push landed, applied by a pass before the push's answer, wins without a conflict (${store})`, () =>
      emulator.run({ store, settings: { intervalSeconds: 3600, pushDelayMs: 200 } }, (world) =>
        editAfterPushLanded(world),
      ));
  }
});
