import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { leadIdForPerson } from '../../src/flows/flow-ids.ts';
import { useFlowWorld, waitFor, type FlowWorld } from './flow-world.ts';
import { campaignCursorName } from '../../src/flows/campaign-runner.ts';
import type { Store } from '../../src/store/store.ts';

const owner = emulatorFixtures.salesUserIds[1];

/** The runs of a campaign, newest first. */
async function runsOf(world: FlowWorld, campaignId: string): Promise<any[]> {
  return (await world.api('GET', `/api/v1/campaigns/${campaignId}/runs?limit=100`)).json.items;
}

async function createCampaign(world: FlowWorld, body: Record<string, unknown>): Promise<string> {
  const response = await world.api('POST', '/api/v1/campaigns', { enabled: true, filters: [], ...body });
  assert.equal(response.status, 201, JSON.stringify(response.json));
  return response.json.id as string;
}

/** Waits until the person's campaign run finished (succeeded or failed) and returns it. */
function finishedRun(world: FlowWorld, campaignId: string, personId: string) {
  return waitFor(`a finished run of ${campaignId} for ${personId}`, async () =>
    (await runsOf(world, campaignId)).find((run) => run.personId === personId && run.status !== 'running'),
  );
}

for (const kind of storeKinds) {
  describe(`trigger campaigns over HTTP, with the sync disabled, on ${kind} (B7.4, B7.5)`, () => {
    const run = useFlowWorld(kind);

    test('B7.5 "person created with leadSource = Web → Sync Person to Microsoft as lead, owner X" runs for matching persons only', () =>
      run(async (world) => {
        const campaignId = await createCampaign(world, {
          name: 'Web leads to sales',
          trigger: { type: 'person-created' },
          filters: [{ field: 'leadSource', operator: 'equals', value: 'Web' }],
          steps: [{ action: 'sync-to-crm', syncAs: 'lead', ownerId: owner }],
        });
        // The non-matching person is created first: when the matching one has run, the other was evaluated.
        const fair = await world.createPerson({
          email: 'fair@example.com',
          lastName: 'Fair',
          leadSource: 'Trade Show',
        });
        const web = await world.createPerson({
          email: 'web@example.com',
          lastName: 'Web',
          leadSource: 'Web',
        });

        const done = await finishedRun(world, campaignId, web);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        assert.deepEqual(
          done.results.map((result: { action: string; status: string }) => [result.action, result.status]),
          [['sync-to-crm', 'succeeded']],
        );
        const [lead] = await world.crmRows(
          'leads',
          `leadid eq ${leadIdForPerson(web)}`,
          'lastname,_ownerid_value',
        );
        assert.equal(lead.lastname, 'Web');
        assert.equal(lead._ownerid_value, owner);
        const person = (await world.api('GET', `/api/v1/persons/${web}`)).json;
        assert.equal(person.crmType, 'lead');
        const logged = (await world.activities(web)).filter((activity) => activity.type === 'campaign.run');
        assert.equal(logged.length, 1);
        assert.equal(logged[0].attributes.campaignId, campaignId);

        assert.deepEqual(
          (await runsOf(world, campaignId)).map((item) => item.personId),
          [web],
          'the Trade Show person did not match the filter',
        );
        assert.equal((await world.api('GET', `/api/v1/persons/${fair}`)).json.crmType, null);
        assert.equal(
          (await world.crmRows('leads', `emailaddress1 eq 'fair@example.com'`, 'leadid')).length,
          0,
        );
        assert.equal((await world.api('GET', '/api/v1/sync/status')).json.passes.completed, 0);
      }));

    test('B7.5 a field-changed trigger fires on that change, not on unrelated updates nor on other from-values', () =>
      run(async (world) => {
        const campaignId = await createCampaign(world, {
          name: 'Hot leads get a task',
          trigger: { type: 'field-changed', field: 'rating', from: 'Warm', to: 'Hot' },
          steps: [
            { action: 'sync-to-crm', syncAs: 'lead' },
            { action: 'create-task', subject: 'Call the hot lead', dueInDays: 1 },
          ],
        });
        const warm = await world.createPerson({
          email: 'warm@example.com',
          lastName: 'Warm',
          rating: 'Warm',
        });
        const cold = await world.createPerson({
          email: 'cold@example.com',
          lastName: 'Cold',
          rating: 'Cold',
        });
        // The runner judges "from" by the values it last saw: it must have seen the creations first, as an
        // operator's later edit would find it (a PATCH right after the POST could otherwise be read together).
        await campaignsCaughtUp(world);
        assert.equal((await world.api('PATCH', `/api/v1/persons/${warm}`, { city: 'Oslo' })).status, 200);
        assert.equal((await world.api('PATCH', `/api/v1/persons/${cold}`, { rating: 'Hot' })).status, 200);
        assert.equal((await world.api('PATCH', `/api/v1/persons/${warm}`, { rating: 'Hot' })).status, 200);

        const done = await finishedRun(world, campaignId, warm);
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        const tasks = await world.crmRows(
          'tasks',
          `_regardingobjectid_value eq ${leadIdForPerson(warm)}`,
          'subject',
        );
        assert.deepEqual(
          tasks.map((task) => task.subject),
          ['Call the hot lead'],
        );
        assert.deepEqual(
          (await runsOf(world, campaignId)).map((item) => item.personId),
          [warm],
          'neither the city update nor Cold → Hot fired it',
        );
      }));

    test('B7.5 "added through the API" and a failing step: the run records the failure and stops', () =>
      run(async (world) => {
        const campaignId = await createCampaign(world, {
          name: 'Task before sync',
          trigger: { type: 'added-through-api' },
          steps: [
            { action: 'create-task', subject: 'Too early' },
            { action: 'sync-to-crm', syncAs: 'lead' },
          ],
        });
        const id = await world.createPerson({ email: 'early@example.com', lastName: 'Early' });
        const done = await finishedRun(world, campaignId, id);
        assert.equal(done.status, 'failed');
        assert.match(done.error, /create-task/);
        assert.deepEqual(
          done.results.map((result: { status: string; code?: string }) => [result.status, result.code]),
          [['failed', 'PERSON_NOT_SYNCED']],
        );
        assert.equal((await world.api('GET', `/api/v1/persons/${id}`)).json.crmType, null);
      }));

    test('campaign CRUD with validation: unknown properties and fields are refused; a disabled campaign does not run', () =>
      run(async (world) => {
        const valid = {
          name: 'CRUD',
          enabled: false,
          trigger: { type: 'person-created' },
          filters: [],
          steps: [{ action: 'sync-to-crm', syncAs: 'lead' }],
        };
        const unknownProperty = await world.api('POST', '/api/v1/campaigns', {
          ...valid,
          trigger: { type: 'person-created', when: 'now' },
        });
        assert.equal(unknownProperty.status, 400);
        assert.equal(unknownProperty.json.error.code, 'VALIDATION_FAILED');
        const unknownField = await world.api('POST', '/api/v1/campaigns', {
          ...valid,
          filters: [{ field: 'shoeSize', operator: 'is-empty' }],
        });
        assert.equal(unknownField.status, 400);
        assert.equal(unknownField.json.error.details.problems[0].path, '/filters/0/field');
        const wrongStep = await world.api('POST', '/api/v1/campaigns', {
          ...valid,
          steps: [{ action: 'change-owner' }],
        });
        assert.equal(wrongStep.status, 400);
        assert.match(wrongStep.json.error.message, /steps\/0\/ownerId is required/);
        assert.equal((await world.api('GET', '/api/v1/campaigns')).json.items.length, 0, 'nothing stored');

        const created = await world.api('POST', '/api/v1/campaigns', valid);
        assert.equal(created.status, 201);
        const id = created.json.id;
        assert.deepEqual((await world.api('GET', `/api/v1/campaigns/${id}`)).json.trigger, valid.trigger);
        // A second, enabled campaign on the same trigger: once it ran for the person, the disabled one was passed over.
        const sentinel = await createCampaign(world, {
          name: 'Sentinel',
          trigger: { type: 'person-created' },
          steps: [{ action: 'create-task', subject: 'Fails: not synced' }],
        });
        const person = await world.createPerson({ email: 'disabled@example.com', lastName: 'Off' });
        await finishedRun(world, sentinel, person);
        assert.deepEqual(await runsOf(world, id), []);

        const renamed = await world.api('PUT', `/api/v1/campaigns/${id}`, { ...valid, name: 'Renamed' });
        assert.equal(renamed.json.name, 'Renamed');
        assert.equal((await world.api('GET', '/api/v1/campaigns')).json.items.length, 2);
        assert.equal((await world.api('DELETE', `/api/v1/campaigns/${id}`)).status, 204);
        assert.equal((await world.api('GET', `/api/v1/campaigns/${id}`)).status, 404);
        assert.equal((await world.api('PUT', `/api/v1/campaigns/${id}`, valid)).status, 404);
      }));
  });
}

/** Waits until the campaign runner's cursor has passed every committed marketing change. */
async function campaignsCaughtUp(world: { app: { store: Store } }): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const cursor = await world.app.store.getCursor(campaignCursorName);
    if ((await world.app.store.readPersonChanges(cursor ?? undefined, 1)).items.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('the campaign runner did not catch up with the marketing changes within 15 s');
}
