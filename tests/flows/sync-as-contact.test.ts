import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { useFlowWorld, waitFor, type FlowWorld } from './flow-world.ts';

/** Runs one pass through the API (B8.2) and waits until it has completed; the sync must be enabled. */
async function passNow(world: FlowWorld): Promise<void> {
  const idle = await waitFor('no pass running', async () => {
    const status = (await world.api('GET', '/api/v1/sync/status')).json;
    return status.state === 'running' ? undefined : status;
  });
  assert.equal((await world.api('POST', '/api/v1/sync/passes')).status, 202);
  const done = await waitFor('the requested pass', async () => {
    const status = (await world.api('GET', '/api/v1/sync/status')).json;
    return status.passes.completed > idle.passes.completed && status.state !== 'running' ? status : undefined;
  });
  assert.equal(done.passes.lastError, null);
}

for (const kind of storeKinds) {
  describe(`syncAs contact converges (issue 13 item 2, B3.4, B7.1) on ${kind}`, () => {
    const run = useFlowWorld(kind);

    test("B3.4 B7.1 the lead's Open/New labels never become pushes to the contact; later edits reach it", () =>
      run(async (world) => {
        const id = await world.createPerson({
          email: 'converge@example.com',
          firstName: 'Con',
          lastName: 'Verge',
        });
        const synced = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'contact',
        });
        assert.equal(synced.status, 200, JSON.stringify(synced.json));
        const contactId = synced.json.crmId as string;

        // The contact's own state and status are the person's (B3.4), not the lead's "Open"/"New".
        const linked = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(linked.crmType, 'contact');
        assert.equal(linked.personStatus, 'Active');
        assert.equal(linked.statusReason, 'Active');

        assert.equal((await world.api('POST', '/api/v1/sync/enable')).status, 200);
        await passNow(world);
        for (const [title, city] of [
          ['Chief Converger', 'Leeds'],
          ['Head of Convergence', 'York'],
        ]) {
          const edited = await world.api('PATCH', `/api/v1/persons/${id}`, { title, city });
          assert.equal(edited.status, 200, JSON.stringify(edited.json));
          await passNow(world);
          const [contact] = await world.crmRows(
            'contacts',
            `contactid eq ${contactId}`,
            'jobtitle,address1_city,statecode,statuscode',
          );
          assert.equal(contact.jobtitle, title, 'the edit reached the contact');
          assert.equal(contact.address1_city, city);
          assert.equal(contact.statecode, 0, 'the contact stays Active');
          assert.equal(contact.statuscode, 1);
        }

        const errors = (await world.api('GET', '/api/v1/sync/errors')).json.items;
        assert.deepEqual(errors, [], 'no sync error');
        const types = (await world.activities(id)).map((activity) => activity.type);
        assert.ok(!types.includes('crm.sync-failed'), types.join());
        assert.ok(!types.includes('crm.conflict'), types.join());
        const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(person.personStatus, 'Active', "the contact's state label");
        assert.equal(person.statusReason, 'Active', "the contact's status label");
        assert.equal(person.title, 'Head of Convergence');
      }));
  });
}
