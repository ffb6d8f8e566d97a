import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { crmCursorName, marketingCursorName } from '../../src/engine/engine.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, waitFor, type SyncWorld } from './sync-world.ts';

async function contact(world: SyncWorld, name: string): Promise<string> {
  return world.crmCreate('contact', {
    firstname: name,
    lastname: 'Scenario',
    emailaddress1: `${name.toLowerCase()}@scenario.test`,
    jobtitle: 'Start',
  });
}

async function runningPasses(world: SyncWorld): Promise<number> {
  const passes = await world.testStore.store.listPasses({ limit: 100 });
  return passes.items.filter((pass) => pass.status === 'running').length;
}

describe('engine: control and recovery (B2.5, B8)', () => {
  const emulator = useEmulator();

  test('B8.1 disabled: no pass runs; changes made on both sides during the pause are applied after enabling', () =>
    emulator.run({ settings: { intervalSeconds: 0.05 } }, async (world) => {
      const contactId = await contact(world, 'Paused');
      await world.service.start();
      const person = await waitFor('the first pass to link the contact', () =>
        world.personByCrmId('contact', contactId),
      );
      await world.service.setEnabled(false);
      await waitFor('the running pass to stop', async () =>
        (await runningPasses(world)) === 0 ? true : undefined,
      );
      const status = await world.service.status();
      assert.equal(status.enabled, false);
      assert.equal(status.state, 'disabled');
      // The connection's application user and its requests (issue 15 item 4: throttling per user).
      assert.equal(status.crm?.identities.length, 1);
      assert.ok(status.crm.identities[0].requests > 0);
      const passesBefore = (await world.testStore.store.listPasses({ limit: 100 })).items.length;

      await world.crmUpdate('contact', contactId, { firstname: 'Resumed' });
      await world.editPerson(person.id, { title: 'Edited while paused' });
      // Forty intervals: a running loop would have started many passes by now.
      await sleep(2000);
      assert.equal((await world.testStore.store.listPasses({ limit: 100 })).items.length, passesBefore);
      assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Paused');
      assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'Start');

      await world.service.setEnabled(true);
      await waitFor('both changes to arrive', async () => {
        const synced = await world.linkedPerson('contact', contactId);
        const crm = await world.crmGet('contact', contactId, ['jobtitle']);
        return synced.fields.firstName === 'Resumed' && crm.jobtitle === 'Edited while paused'
          ? true
          : undefined;
      });
      assert.equal((await world.service.status()).enabled, true);
    }));

  test('B8.2 preview lists what the next pass would write and writes nothing; resync re-reads and merges one record', () =>
    emulator.run({}, async (world) => {
      const contactId = await contact(world, 'Previewed');
      const otherId = await contact(world, 'Bystander');
      await world.pass();
      const person = await world.linkedPerson('contact', contactId);
      await world.crmUpdate('contact', contactId, { firstname: 'Previewed2' });
      await world.editPerson(person.id, { title: 'Marketing title' });
      await world.crmUpdate('contact', otherId, { firstname: 'Bystander2' });

      const store = world.testStore.store;
      const cursor = await store.getCursor(crmCursorName('contact'));
      const feedCursor = await store.getCursor(marketingCursorName);
      const version = await world.crmVersion();
      world.calls.length = 0;
      const preview = await world.service.preview();
      const toMarketing = preview.toMarketing.find((write) => write.crmId === contactId);
      assert.equal(toMarketing?.personId, person.id);
      assert.equal(toMarketing?.operation, 'update');
      assert.deepEqual(toMarketing?.fields, { firstName: 'Previewed2' });
      const toCrm = preview.toCrm.find((write) => write.crmId === contactId);
      assert.deepEqual(toCrm?.fields, { jobtitle: 'Marketing title' });
      assert.ok(preview.toMarketing.some((write) => write.crmId === otherId));
      // A dry run: nothing written anywhere, no cursor moved.
      assert.deepEqual(world.writes(), []);
      assert.equal(await world.crmVersion(), version);
      assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Previewed');
      assert.equal(await store.getCursor(crmCursorName('contact')), cursor);
      assert.equal(await store.getCursor(marketingCursorName), feedCursor);

      const result = await world.service.resync({ personId: person.id });
      assert.equal(result.crmId, contactId);
      assert.deepEqual(result.toMarketing, ['firstName']);
      assert.deepEqual(result.toCrm, ['jobtitle']);
      assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Previewed2');
      assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'Marketing title');
      assert.equal(
        (await world.linkedPerson('contact', otherId)).fields.firstName,
        'Bystander',
        'only the one record was resynced',
      );

      // The next pass brings the rest and does not write the resynced record again (B4.4).
      world.calls.length = 0;
      await world.pass();
      assert.equal((await world.linkedPerson('contact', otherId)).fields.firstName, 'Bystander2');
      assert.deepEqual(world.writes(), []);
    }));

  for (const store of storeKinds) {
    test(`B2.5 an expired delta token → reconcile; changes, creates and deletes made meanwhile all arrive (${store})`, () =>
      emulator.run({ store, settings: { pageSize: 2 } }, async (world) => {
        const [changedId, deletedId, pushedId] = [
          await contact(world, 'Changed'),
          await contact(world, 'Deleted'),
          await contact(world, 'Pushed'),
        ];
        const leadId = await world.crmCreate('lead', {
          subject: 'Reconcile',
          lastname: 'Lead',
          emailaddress1: 'reconcile-lead@scenario.test',
        });
        await world.pass();
        const pushed = await world.linkedPerson('contact', pushedId);
        const deleted = await world.linkedPerson('contact', deletedId);

        await world.crmUpdate('contact', changedId, { firstname: 'Changed2' });
        await world.crmDelete('contact', deletedId);
        const createdId = await contact(world, 'Created');
        await world.crmUpdate('lead', leadId, { jobtitle: 'Reconciled' });
        await world.editPerson(pushed.id, { title: 'Pushed title' });
        const expired = await world.crm('POST', '/_emulator/expire-delta-tokens', {});
        assert.equal(expired.status, 200);

        const counts = await world.pass();
        assert.ok((counts['contact.reconciles'] ?? 0) >= 1, JSON.stringify(counts));
        assert.ok((counts['lead.reconciles'] ?? 0) >= 1, JSON.stringify(counts));
        assert.equal((await world.linkedPerson('contact', changedId)).fields.firstName, 'Changed2');
        assert.equal((await world.linkedPerson('contact', createdId)).fields.firstName, 'Created');
        assert.equal((await world.linkedPerson('lead', leadId)).fields.title, 'Reconciled');
        assert.equal((await world.crmGet('contact', pushedId, ['jobtitle'])).jobtitle, 'Pushed title');
        const gone = await world.testStore.store.getPerson(deleted.id);
        assert.equal(gone?.fields.crmIsDeleted, true, 'the delete made while expired arrived');
        const deletedActivities = (await world.activities(deleted.id)).filter(
          (a) => a.type === 'crm.deleted',
        );
        assert.equal(deletedActivities.length, 1);
        const emails = await world.testStore.store.listPersons({ email: 'created@scenario.test', limit: 10 });
        assert.equal(emails.items.length, 1, 'no duplicate person');

        // After the reconcile the sync is settled: the next pass writes nothing on either side.
        world.calls.length = 0;
        const version = await world.crmVersion();
        const next = await world.pass();
        assert.deepEqual(world.writes(), []);
        assert.equal(await world.crmVersion(), version);
        assert.equal(next['contact.reconciles'], undefined, 'the new token is valid');
      }));
  }
});
