import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultEngineSettings, SyncService } from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { pausingStore } from '../helpers/pausing-store.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';
import type { Person } from '../../src/domain/person.ts';

/**
 * After the persons of a page were read (`getPersons` before B4.7's fix, `getPersonsForUpdate` after it) and
 * include `personId`, `afterPersonsRead` commits between that read and the page's commit.
 */
function pausingAfterPersonsRead(
  store: Store,
  personId: string,
  afterPersonsRead: () => Promise<void>,
): Store {
  return pausingStore(
    store,
    ['getPersons', 'getPersonsForUpdate'],
    (_args, result) => (result as Person[]).some((person) => person.id === personId),
    afterPersonsRead,
  );
}

const sleep = (ms: number) => new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));

/**
 * B4.7: the CRM changes a field; a marketing user changes the same field of the same person while the next
 * pass applies the CRM's page (after the page read the person, before it commits), through another
 * connection, as the API would. Two outcomes are correct: the edit waits for the page's commit (the page holds
 * the person) and is pushed afterwards, or the page sees it and merges it as a marketing change (B4.3: pushed
 * for a lead, a logged collision for a contact). Wrong is the edit silently gone: person = CRM value = base,
 * nothing pushed, nothing in the conflict log.
 */
async function editDuringPage(world: SyncWorld, entity: 'contact' | 'lead', via: 'pass' | 'reread') {
  const recordId = await world.crmCreate(entity, {
    ...(entity === 'lead' ? { subject: 'B4.7' } : {}),
    firstname: 'Base',
    lastname: 'Racer',
    emailaddress1: `${entity}-racer@scenario.test`,
  });
  await world.pass();
  const person = await world.linkedPerson(entity, recordId);
  await world.crmUpdate(entity, recordId, { firstname: 'FromCrm' });

  // The API's store: a second store on the same database, so another connection (on SQLite, the process's
  // one connection, whose writers take turns).
  const api = await createStore(world.testStore.database.config, silentLogger());
  try {
    let edit: Promise<Person | undefined> | undefined;
    let editWaitedForPage = false;
    const store = pausingAfterPersonsRead(world.testStore.store, person.id, async () => {
      edit = api.updatePerson(person.id, { firstName: 'FromMarketing' }, 'api');
      // Committed at once (the page does not hold the person), or waiting for the page's commit (it does).
      editWaitedForPage = (await Promise.race([edit, sleep(400)])) === 'waiting';
    });
    const settings = { ...defaultEngineSettings, intervalSeconds: 3600, pageSize: 50 };
    const service = new SyncService({ ...world.deps, store }, settings);
    try {
      if (via === 'pass') {
        const outcome = await service.engine.runOnce('test');
        assert.equal(outcome.status, 'succeeded', `pass ${outcome.status}: ${outcome.error}`);
      } else {
        // Records read by id (a 412 re-read, B4.5; here a resync, B8.2) go through the same page applier.
        await service.resync({ entity, crmId: recordId });
      }
    } finally {
      await service.stop();
    }
    assert.ok(edit !== undefined, 'the page read the person (the hook ran)');
    assert.equal((await edit)?.id, person.id, 'the marketing edit was acknowledged');
    await world.pass();

    const after = await world.linkedPerson(entity, recordId);
    const crm = await world.crmGet(entity, recordId, ['firstname']);
    const conflicts = await world.testStore.store.listConflicts({ personId: person.id, limit: 10 });
    const logged = conflicts.items.find(
      (conflict) => conflict.field === 'firstName' && conflict.marketingValue === 'FromMarketing',
    );
    const state =
      `person ${String(after.fields.firstName)}, CRM ${String(crm.firstname)}, ` +
      `conflicts ${JSON.stringify(conflicts.items.map((c) => [c.field, c.marketingValue, c.crmValue]))}, ` +
      `the edit ${editWaitedForPage ? 'waited for' : 'committed before'} the page's commit`;
    const pushed = after.fields.firstName === 'FromMarketing' && crm.firstname === 'FromMarketing';
    assert.ok(pushed || logged !== undefined, `the marketing edit is silently lost (B4.7): ${state}`);
    // Either way both sides agree afterwards (B4.4).
    assert.equal(after.fields.firstName, crm.firstname, state);
    if (logged === undefined) {
      // Merged as a marketing change after the page: the edit is the person's value and the CRM's.
      assert.equal(after.fields.firstName, 'FromMarketing', state);
    }
  } finally {
    await api.close();
  }
}

describe('engine: a marketing edit committed while a page applies (B4.7)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    for (const entity of ['contact', 'lead'] as const) {
      test(`B4.7 an API edit of a ${entity}'s person made while a pass's page holds it is never silently overwritten (${store})`, () =>
        emulator.run({ store }, (world) => editDuringPage(world, entity, 'pass')));
    }
    test(`B4.7 the same holds for records read by id (412 re-read, resync: B4.5, B8.2) (${store})`, () =>
      emulator.run({ store }, (world) => editDuringPage(world, 'contact', 'reread')));
  }
});
