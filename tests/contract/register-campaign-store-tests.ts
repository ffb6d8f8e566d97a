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
}
