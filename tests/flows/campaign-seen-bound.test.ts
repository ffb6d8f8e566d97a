import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CampaignRunner } from '../../src/flows/campaign-runner.ts';
import type { FlowActions } from '../../src/flows/flow-service.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openTestStore, storeKinds } from '../helpers/test-store.ts';

/** Flow actions that only count: these tests are about what the runner keeps, not about the CRM. */
function countingFlows(): FlowActions & { tasks: number } {
  const flows = {
    tasks: 0,
    syncToCrm: () => Promise.reject(new Error('not used')),
    changeOwner: () => Promise.reject(new Error('not used')),
    createTask: async () => {
      flows.tasks += 1;
      return { status: 'created', taskId: 't', crmType: 'lead', crmId: 'l', dueDate: '' } as const;
    },
    stats: async () => ({ syncedLastHour: 0, syncedLast24h: 0 }),
  };
  return flows;
}

for (const kind of storeKinds) {
  describe(`campaign seen values stay bounded, on ${kind} (issue 16 item 7)`, () => {
    test('one marker per person with the watched fields only; deleted once no enabled campaign watches a field', async () => {
      await using opened = await openTestStore(kind);
      const { store } = opened;
      const flows = countingFlows();
      const runner = new CampaignRunner(store, flows, silentLogger());
      const input = {
        name: 'Hot',
        enabled: true,
        trigger: { type: 'field-changed', field: 'rating', to: 'Hot' },
        filters: [],
        steps: [{ action: 'create-task', subject: 'Call' }],
      };
      const campaign = await store.createCampaign(input);
      const person = await store.createPerson(
        { email: 'seen@example.com', rating: 'Cold', city: 'Oslo' },
        'api',
      );
      await runner.drain();
      assert.equal(await store.getMarker(person.id, 'campaign-seen'), '{"rating":"Cold"}');
      await store.updatePerson(person.id, { rating: 'Hot' }, 'sync');
      await runner.drain();
      assert.equal(flows.tasks, 1, 'a change made by the sync fires it (B7.5)');
      assert.equal(await store.getMarker(person.id, 'campaign-seen'), '{"rating":"Hot"}');

      await store.updateCampaign(campaign.id, { ...input, enabled: false });
      await store.updatePerson(person.id, { city: 'Bergen' }, 'api');
      await runner.drain();
      assert.equal(await store.getMarker(person.id, 'campaign-seen'), undefined);
    });
  });
}
