import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useFlowWorld, waitFor, type FlowWorld } from './flow-world.ts';

/**
 * B7.5, issue 16 item 6: campaigns see what the sync does — over real HTTP, with the emulator as its own
 * process and the background sync running (a pass a second).
 */

const [userY, ownerX, userZ] = emulatorFixtures.salesUserIds;

async function runsOf(world: FlowWorld, campaignId: string): Promise<any[]> {
  return (await world.api('GET', `/api/v1/campaigns/${campaignId}/runs?limit=100`)).json.items;
}

async function createCampaign(world: FlowWorld, body: Record<string, unknown>): Promise<string> {
  const response = await world.api('POST', '/api/v1/campaigns', { enabled: true, filters: [], ...body });
  assert.equal(response.status, 201, JSON.stringify(response.json));
  return response.json.id as string;
}

function finishedRun(world: FlowWorld, campaignId: string, personId: string) {
  return waitFor(`a finished run of ${campaignId} for ${personId}`, async () =>
    (await runsOf(world, campaignId)).find((run) => run.personId === personId && run.status !== 'running'),
  );
}

async function status(world: FlowWorld): Promise<any> {
  return (await world.api('GET', '/api/v1/sync/status')).json;
}

function initialLoadDone(world: FlowWorld) {
  return waitFor(
    'the initial load',
    async () => (await status(world)).initialLoad.done === true || undefined,
    60_000,
  );
}

/** Waits for `count` more finished passes: what the sync had to write back is written by then. */
async function passesLater(world: FlowWorld, count: number): Promise<void> {
  const start = (await status(world)).passes.completed as number;
  await waitFor(
    `${count} more passes`,
    async () => (await status(world)).passes.completed >= start + count || undefined,
  );
}

async function personByEmail(world: FlowWorld, email: string): Promise<any> {
  return waitFor(`the person ${email}`, async () => {
    const { items } = (await world.api('GET', `/api/v1/persons?email=${encodeURIComponent(email)}`)).json;
    return items.length === 1 ? items[0] : undefined;
  });
}

async function crmRecord(world: FlowWorld, entitySet: string, select: string): Promise<Record<string, any>> {
  const response = await world.crm('GET', `${entitySet}?$select=${select}&$top=1&$orderby=createdon`);
  assert.equal(response.status, 200, JSON.stringify(response.json));
  return response.json.value[0];
}

for (const kind of storeKinds) {
  describe(`campaigns see the sync, on ${kind} (B7.5, B3.4, B3.6)`, () => {
    let welcome = '';
    const run = useFlowWorld(kind, {
      sync: true,
      // Exists before the initial load, so only the rule keeps the demo records' persons from firing it.
      beforeStart: async (store) => {
        welcome = (
          await store.createCampaign({
            name: 'Welcome',
            enabled: true,
            trigger: { type: 'person-created' },
            filters: [],
            steps: [{ action: 'create-task', subject: 'Welcome' }],
          })
        ).id;
      },
    });

    test('"person created" fires for a person created from the CRM, but not for the initial load\'s', () =>
      run(async (world) => {
        await initialLoadDone(world);
        const created = await world.crm('POST', 'leads', {
          lastname: 'Newcomer',
          emailaddress1: 'newcomer@example.com',
          subject: 'From the CRM',
        });
        assert.equal(created.status, 204, JSON.stringify(created.json));
        const person = await personByEmail(world, 'newcomer@example.com');
        assert.equal(person.crmType, 'lead');
        const done = await finishedRun(world, welcome, person.id);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        const tasks = await world.crmRows(
          'tasks',
          `_regardingobjectid_value eq ${person.crmLeadId}`,
          'subject',
        );
        assert.deepEqual(
          tasks.map((task) => task.subject),
          ['Welcome'],
        );
        // The runner handles the feed in order: the initial load's creates came first and fired nothing.
        assert.deepEqual(
          (await runsOf(world, welcome)).map((item) => item.personId),
          [person.id],
        );
      }));

    test('a lead qualified in the CRM fires "crm type changed from lead to contact"; a CRM delete fires "crm deleted"', () =>
      run(async (world) => {
        await initialLoadDone(world);
        const qualified = await createCampaign(world, {
          name: 'Qualified',
          trigger: { type: 'crm-type-changed', from: 'lead', to: 'contact' },
          steps: [{ action: 'create-task', subject: 'Qualified: call' }],
        });
        const becameLead = await createCampaign(world, {
          name: 'Became a lead',
          trigger: { type: 'crm-type-changed', to: 'lead' },
          steps: [{ action: 'create-task', subject: 'never' }],
        });
        const deleted = await createCampaign(world, {
          name: 'Deleted in the CRM',
          trigger: { type: 'crm-deleted' },
          steps: [{ action: 'create-task', subject: 'never reaches a deleted record' }],
        });

        const lead = await crmRecord(world, 'leads', 'leadid,emailaddress1');
        const leadPerson = await personByEmail(world, lead.emailaddress1);
        const response = await world.crm('POST', `leads(${lead.leadid})/Microsoft.Dynamics.CRM.QualifyLead`, {
          CreateAccount: false,
          CreateContact: true,
          CreateOpportunity: false,
          Status: 3,
        });
        assert.equal(response.status, 200, JSON.stringify(response.json));
        const done = await finishedRun(world, qualified, leadPerson.id);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        const person = (await world.api('GET', `/api/v1/persons/${leadPerson.id}`)).json;
        assert.equal(person.crmType, 'contact');
        const tasks = await world.crmRows(
          'tasks',
          `_regardingobjectid_value eq ${person.crmContactId}`,
          'subject',
        );
        assert.deepEqual(
          tasks.map((task) => task.subject),
          ['Qualified: call'],
        );

        const contact = await crmRecord(world, 'contacts', 'contactid,emailaddress1');
        const contactPerson = await personByEmail(world, contact.emailaddress1);
        assert.equal((await world.crm('DELETE', `contacts(${contact.contactid})`)).status, 204);
        const gone = await finishedRun(world, deleted, contactPerson.id);
        // It fired; its step then meets the deleted record (B3.6), which is the step's business.
        assert.equal(gone.status, 'failed');
        assert.equal(gone.results[0].code, 'CRM_RECORD_DELETED');
        assert.equal((await world.api('GET', `/api/v1/persons/${contactPerson.id}`)).json.crmIsDeleted, true);

        assert.deepEqual(
          (await runsOf(world, qualified)).map((item) => item.personId),
          [leadPerson.id],
        );
        assert.deepEqual(
          (await runsOf(world, deleted)).map((item) => item.personId),
          [contactPerson.id],
        );
        assert.deepEqual(await runsOf(world, becameLead), [], 'a qualify is no change to lead');
      }));

    test("a campaign's own CRM writes never trigger it again; other campaigns see them", () =>
      run(async (world) => {
        await initialLoadDone(world);
        // Re-assigns every person whose owner changes to X: its own assignment is an owner change too.
        const reassign = await createCampaign(world, {
          name: 'Owner changed → X',
          trigger: { type: 'field-changed', field: 'crmOwnerId' },
          steps: [{ action: 'change-owner', ownerId: ownerX }],
        });
        const toX = await createCampaign(world, {
          name: 'Now owned by X',
          trigger: { type: 'field-changed', field: 'crmOwnerId', to: ownerX },
          steps: [{ action: 'create-task', subject: 'Owned by X' }],
        });
        // Syncs every new person: the sync then reads the new lead back (B7.1, B2.8).
        const syncNew = await createCampaign(world, {
          name: 'Sync new persons',
          trigger: { type: 'person-created' },
          steps: [{ action: 'sync-to-crm', syncAs: 'lead' }],
        });

        const contact = await crmRecord(world, 'contacts', 'contactid,emailaddress1,_ownerid_value');
        const person = await personByEmail(world, contact.emailaddress1);
        const newOwner = contact._ownerid_value === userY ? userZ : userY;
        const assigned = await world.crm('PATCH', `contacts(${contact.contactid})`, {
          'ownerid@odata.bind': `/systemusers(${newOwner})`,
        });
        assert.equal(assigned.status, 204, JSON.stringify(assigned.json));
        const done = await finishedRun(world, reassign, person.id);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        const other = await finishedRun(world, toX, person.id);
        assert.equal(other.status, 'succeeded', 'another campaign sees the first one’s write');

        const created = await world.createPerson({ email: 'fresh@example.com', lastName: 'Fresh' });
        const synced = await finishedRun(world, syncNew, created);
        assert.equal(synced.status, 'succeeded', JSON.stringify(synced));

        // The sync reads both CRM writes back; nothing fires again.
        await passesLater(world, 3);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal((await world.api('GET', `/api/v1/persons/${person.id}`)).json.crmOwnerId, ownerX);
        assert.equal(
          (await runsOf(world, reassign)).filter((item) => item.personId === person.id).length,
          1,
          'the reassignment did not fire its own campaign again',
        );
        // The new person's lead got the sync user as owner: for that campaign, another one's write.
        assert.equal((await runsOf(world, reassign)).filter((item) => item.personId === created).length, 1);
        assert.deepEqual(
          (await runsOf(world, syncNew)).map((item) => item.personId),
          [created],
        );
        const fresh = (await world.api('GET', '/api/v1/persons?email=fresh%40example.com')).json.items;
        assert.equal(fresh.length, 1, 'the lead read back is the same person');
        assert.equal(fresh[0].crmType, 'lead');
      }));
  });
}
