import assert from 'node:assert/strict';
import type { CampaignStore } from '../../src/store/campaign-store.ts';
import type { PersonStore } from '../../src/store/person-store.ts';
import { type StoreFactory, collectPages, portTest, rejectsWithCode } from './store-contract-support.ts';

const unknownId = '01900000-0000-7000-8000-000000000000';

/** The campaigns port (CampaignStore): campaigns and their runs (B7.5). */
export function registerCampaignStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): CampaignStore & PersonStore => store);

  it('campaigns and their runs: create, read, replace, list, delete with runs (B7.5)', async (store) => {
    const person = await store.createPerson({ email: 'camp@example.com' }, 'api');
    const input = {
      name: 'Welcome',
      enabled: true,
      trigger: { type: 'person-created' },
      filters: [{ field: 'country', equals: 'NO' }],
      steps: [{ action: 'sync-to-crm', syncAs: 'lead' }],
    };
    const campaign = await store.createCampaign(input);
    assert.deepEqual(await store.getCampaign(campaign.id), campaign);
    const replaced = await store.updateCampaign(campaign.id, {
      ...input,
      enabled: false,
      name: 'Welcome v2',
    });
    assert.equal(replaced!.enabled, false);
    assert.equal(replaced!.name, 'Welcome v2');
    assert.equal(await store.updateCampaign(unknownId, input), undefined);
    await store.createCampaign({ ...input, name: 'Second' });
    assert.equal((await collectPages((cursor) => store.listCampaigns({ limit: 1, cursor }))).length, 2);
    await rejectsWithCode(store.createCampaign({ ...input, name: ' ' }), 'VALIDATION_FAILED');

    const run = await store.startCampaignRun(campaign.id, person.id);
    assert.equal(run.status, 'running');
    assert.equal(
      await store.finishCampaignRun(run.id, {
        status: 'succeeded',
        results: [{ step: 0, status: 'created' }],
        error: null,
      }),
      true,
    );
    const runs = await store.listCampaignRuns(campaign.id, { limit: 10 });
    assert.equal(runs.items[0].status, 'succeeded');
    assert.deepEqual(runs.items[0].results, [{ step: 0, status: 'created' }]);
    await rejectsWithCode(store.startCampaignRun(unknownId, person.id), 'NOT_FOUND');

    assert.equal(await store.deleteCampaign(campaign.id), true);
    assert.equal(await store.deleteCampaign(campaign.id), false);
    assert.equal(await store.getCampaign(campaign.id), undefined);
    assert.deepEqual((await store.listCampaignRuns(campaign.id, { limit: 10 })).items, []);
  });

  it('campaignRanDuring answers for the window of a run; interruptCampaignRuns closes unfinished runs (B7.5)', async (store) => {
    const person = await store.createPerson({ email: 'window@example.com' }, 'api');
    const other = await store.createPerson({ email: 'other@example.com' }, 'api');
    const input = { name: 'W', enabled: true, trigger: { type: 'person-created' }, filters: [], steps: [] };
    const campaign = await store.createCampaign(input);
    const second = await store.createCampaign({ ...input, name: 'W2' });
    const before = new Date(Date.now() - 60_000).toISOString();
    const run = await store.startCampaignRun(campaign.id, person.id);
    const during = new Date(Date.parse(run.startedAt) + 1).toISOString();
    // Unfinished: under way from its start on.
    assert.equal(await store.campaignRanDuring(campaign.id, person.id, during), true);
    assert.equal(await store.campaignRanDuring(campaign.id, person.id, before), false);
    assert.equal(await store.campaignRanDuring(second.id, person.id, during), false, 'another campaign');
    assert.equal(await store.campaignRanDuring(campaign.id, other.id, during), false, 'another person');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.finishCampaignRun(run.id, { status: 'succeeded', results: [], error: null });
    const finishedAt = (await store.listCampaignRuns(campaign.id, { limit: 1 })).items[0].finishedAt!;
    assert.equal(await store.campaignRanDuring(campaign.id, person.id, finishedAt), true);
    const after = new Date(Date.parse(finishedAt) + 1000).toISOString();
    assert.equal(await store.campaignRanDuring(campaign.id, person.id, after), false);
    assert.equal(await store.campaignRanDuring('not-an-id', person.id, during), false);

    const left = await store.startCampaignRun(second.id, person.id);
    assert.equal(await store.interruptCampaignRuns(), 1);
    assert.equal(await store.interruptCampaignRuns(), 0);
    const [closed] = (await store.listCampaignRuns(second.id, { limit: 1 })).items;
    assert.equal(closed.id, left.id);
    assert.equal(closed.status, 'failed');
    assert.match(closed.error!, /Interrupted/);
    assert.notEqual(closed.finishedAt, null);
  });
}
