import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildPlans,
  defaultEngineSettings,
  linkPersonToRecord,
  SyncService,
} from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { pausingStore } from '../helpers/pausing-store.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

const sleep = (ms: number) => new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));

/**
 * B3.2, B7.1, B7.2: a flow action created a lead for a person and is about to link them when the next pass
 * meets the new lead (chaos seeds 2003 and 2067 on PostgreSQL). The pass's page has read the lead's link (none)
 * and is making a person of its own for it; the flow's link transaction runs right then, through another
 * connection, as the API's would. Correct: one of them waits for the other, so the flow either links the
 * person and the page merges into it, or folds the page's person into its own. Wrong: both see "unlinked" and
 * the lead ends with two persons, one of them linked to nothing.
 */
async function flowLinksDuringPage(world: SyncWorld) {
  const api = await createStore(world.testStore.database.config, silentLogger());
  try {
    const email = 'first-link-racer@scenario.test';
    const person = await api.createPerson({ email, firstName: 'Flow', lastName: 'Racer' }, 'api');
    // A second marketing person with the same email, so the pass does not link by email (B3.2: exactly one
    // match links) but creates a person for the lead: the case where the two writers disagree.
    const twin = await api.createPerson({ email, firstName: 'Twin', lastName: 'Racer' }, 'api');
    const leadId = await world.crmCreate('lead', {
      subject: 'B7.1 first link',
      firstname: 'Flow',
      lastname: 'Racer',
      emailaddress1: email,
    });
    const settings = { ...defaultEngineSettings, intervalSeconds: 3600, pageSize: 50 };
    const plan = (await buildPlans(world.deps, settings)).get('lead');
    assert.ok(plan !== undefined, 'a lead plan');
    const record = await world.deps.crm.retrieve('lead', leadId, plan.select);
    assert.ok(record !== undefined, 'the lead reads back');

    let link: Promise<string[]> | undefined;
    let flowWaited = false;
    // The page has decided: it read the lead unlinked (twice: before and after locking its persons) and
    // creates a person for it, whose link it writes next.
    const store = pausingStore(
      world.testStore.store,
      ['createPersonIds'],
      (args) => (args[0] as Record<string, unknown>[]).some((fields) => fields.crmLeadId === leadId),
      async () => {
        link = linkPersonToRecord({ store: api, crm: world.deps.crm }, { person, plan, record });
        flowWaited = (await Promise.race([link, sleep(400)])) === 'waiting';
      },
    );
    const service = new SyncService({ ...world.deps, store }, settings);
    try {
      const outcome = await service.engine.runOnce('test');
      assert.equal(outcome.status, 'succeeded', `pass ${outcome.status}: ${outcome.error}`);
    } finally {
      await service.stop();
    }
    assert.ok(link !== undefined, 'the page created a person for the lead (the hook ran)');
    await link;
    await world.pass();

    const linked = await world.linkedPerson('lead', leadId);
    const everyone = (await api.listPersons({ limit: 200 })).items;
    const claiming = everyone.filter((p) => p.fields.crmLeadId === leadId);
    const sameEmail = everyone.filter((p) => p.fields.email === email);
    const state =
      `lead linked to ${linked.id} (flow's person ${person.id}, twin ${twin.id}); persons naming the lead: ` +
      `${claiming.map((p) => p.id).join(', ')}; persons with its email ${sameEmail.map((p) => p.id).join(', ')}; the flow ` +
      `${flowWaited ? 'waited for' : 'committed during'} the page`;
    assert.equal(linked.id, person.id, `the flow's person is the lead's person (B7.1): ${state}`);
    assert.deepEqual(
      claiming.map((p) => p.id),
      [person.id],
      `one person for the lead (B3.2, B7.2): ${state}`,
    );
    assert.deepEqual(
      sameEmail.map((p) => p.id).sort(),
      [person.id, twin.id].sort(),
      `no orphaned person left behind: ${state}`,
    );
  } finally {
    await api.close();
  }
}

describe('engine: a flow links a record while a pass meets it (B3.2, B7.1, B7.2)', () => {
  const emulator = useEmulator();
  for (const store of storeKinds) {
    test(`B7.2 a flow's first link and a page creating a person for the same new lead leave one person (${store})`, () =>
      emulator.run({ store }, (world) => flowLinksDuringPage(world)));
  }
});
