import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEngineSettings, SyncService } from '../../src/engine/engine.ts';
import { FlowService } from '../../src/flows/flow-service.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { pausingStore } from '../helpers/pausing-store.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator } from './sync-world.ts';

/** After a page read the link of `leadId`, `afterLinkRead` commits between that read and the page's person locks. */
function pausingAfterLinkRead(store: Store, leadId: string, afterLinkRead: () => Promise<void>): Store {
  return pausingStore(
    store,
    ['getLinks'],
    (args) => args[0] === 'lead' && (args[1] as string[]).includes(leadId),
    afterLinkRead,
  );
}

const sleep = (ms: number) => new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));

for (const kind of storeKinds) {
  describe(`engine: a syncAs contact resumed while a page applies its qualified lead, on ${kind} (B3.4, B7.1, B4.7)`, () => {
    const emulator = useEmulator();

    test('the person ends linked to the contact, with its labels, never back on the qualified lead', () =>
      emulator.run({ store: kind }, async (world) => {
        const { store } = world.testStore;
        const settings = { ...defaultEngineSettings, intervalSeconds: 3600, pageSize: 50 };
        const person = await store.createPerson(
          { firstName: 'Rhea', lastName: 'Racer', email: 'rhea.racer@scenario.test' },
          'api',
        );
        // A `syncAs: contact` call interrupted after its first half (B2.4): the lead linked with the qualify
        // marker, QualifyLead landed in the CRM, the contact not yet linked.
        const linked = await new FlowService(world.deps, settings).syncToCrm(person.id, { syncAs: 'lead' });
        const leadId = linked.crmId;
        await store.setMarker(person.id, 'qualify', leadId);
        await world.crmQualifyLead(leadId);

        // The resumed call commits through another store (the API's) between the page's read of the lead's
        // link and its lock of the person; on SQLite it waits for the page's commit.
        const api = await createStore(world.testStore.database.config, silentLogger());
        try {
          let resumed: Promise<unknown> | undefined;
          const paused = pausingAfterLinkRead(store, leadId, async () => {
            resumed = new FlowService({ ...world.deps, store: api }, settings).syncToCrm(person.id, {
              syncAs: 'contact',
            });
            await Promise.race([resumed, sleep(1000)]);
          });
          const service = new SyncService({ ...world.deps, store: paused }, settings);
          try {
            await service.resync({ entity: 'lead', crmId: leadId });
          } finally {
            await service.stop();
          }
          assert.ok(resumed !== undefined, 'the page read the lead link (the hook ran)');
          const answer = (await resumed) as { crmType: string; crmId: string };
          assert.equal(answer.crmType, 'contact');
          await world.pass();

          const after = (await store.getPerson(person.id))!;
          const contact = await world.crmGet('contact', answer.crmId, ['statecode', 'statuscode']);
          const state = JSON.stringify({
            crmType: after.fields.crmType,
            crmContactId: after.fields.crmContactId,
            personStatus: after.fields.personStatus,
            statusReason: after.fields.statusReason,
            links: await store.listLinksOfPerson(person.id),
          });
          assert.equal(after.fields.crmType, 'contact', state);
          assert.equal(after.fields.crmContactId, answer.crmId, state);
          assert.equal((await store.getLink('lead', leadId))?.state, 'superseded', state);
          assert.equal((await store.getLink('contact', answer.crmId))?.state, 'active', state);
          assert.equal((await world.linkedPerson('contact', answer.crmId)).id, person.id, state);
          assert.notEqual(after.fields.personStatus, null, state);
          assert.ok(contact.statecode !== undefined, state);
        } finally {
          await api.close();
        }
      }));
  });
}
