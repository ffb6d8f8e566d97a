import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useEmulator, type SyncWorld } from './sync-world.ts';

async function contactsOf(world: SyncWorld, names: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    ids.push(
      await world.crmCreate('contact', {
        firstname: name,
        lastname: 'Scenario',
        emailaddress1: `${name.toLowerCase()}@scenario.test`,
        jobtitle: 'Start',
      }),
    );
  }
  return ids;
}

async function failedActivities(world: SyncWorld, personId: string) {
  return (await world.activities(personId)).filter((activity) => activity.type === 'crm.sync-failed');
}

describe('engine: errors (B6)', () => {
  const emulator = useEmulator();

  test('B6.1 a plug-in rejection → one crm.sync-failed activity and one sync error; other records sync; retried after the person changes again', () =>
    emulator.run({}, async (world) => {
      const [rejectedId, fineId] = await contactsOf(world, ['Loud', 'Quiet']);
      await world.pass();
      const rules = await world.crm('PUT', '/_emulator/rules', [
        {
          entity: 'contact',
          attribute: 'jobtitle',
          on: 'update',
          check: 'regex',
          value: '^[^!]*$',
          message: 'Job titles must not shout.',
        },
      ]);
      assert.equal(rules.status, 200);
      const rejected = await world.linkedPerson('contact', rejectedId);
      const fine = await world.linkedPerson('contact', fineId);
      await world.editPerson(rejected.id, { title: 'Boss!' });
      await world.editPerson(fine.id, { title: 'Calm' });
      await world.pass();

      assert.equal((await world.crmGet('contact', fineId, ['jobtitle'])).jobtitle, 'Calm', 'others sync');
      assert.equal((await world.crmGet('contact', rejectedId, ['jobtitle'])).jobtitle, 'Start');
      assert.equal(
        (await world.testStore.store.getPerson(rejected.id))?.fields.title,
        'Boss!',
        'the person keeps its value',
      );
      let errors = (await world.testStore.store.listSyncErrors({ limit: 10 })).items;
      assert.equal(errors.length, 1);
      assert.equal(errors[0].entity, 'contact');
      assert.equal(errors[0].crmId, rejectedId);
      assert.equal(errors[0].personId, rejected.id);
      assert.equal(errors[0].direction, 'toCrm');
      assert.equal(errors[0].code, '0x80040265');
      assert.match(errors[0].message, /Job titles must not shout/);
      assert.equal(errors[0].count, 1);
      const activities = await failedActivities(world, rejected.id);
      assert.equal(activities.length, 1);
      assert.equal(activities[0].attributes.code, '0x80040265');
      assert.deepEqual(await failedActivities(world, fine.id), []);

      // Not retried while the person does not change.
      world.calls.length = 0;
      await world.pass();
      assert.deepEqual(world.writes(), []);

      // The person changes again: retried, rejected again → the same error counts up, no new activity.
      await world.editPerson(rejected.id, { title: 'Boss!!' });
      await world.pass();
      assert.equal(world.writes().length, 1, 'the push was retried');
      errors = (await world.testStore.store.listSyncErrors({ limit: 10 })).items;
      assert.equal(errors.length, 1, 'one sync error per distinct error');
      assert.equal(errors[0].count, 2);
      assert.equal((await failedActivities(world, rejected.id)).length, 1);

      // Once the rule is gone an admin retry pushes the person's value and resolves the error (B6.1).
      assert.equal((await world.crm('PUT', '/_emulator/rules', [])).status, 200);
      const retried = await world.service.retryError(errors[0].id);
      assert.equal(retried.status, 'resolved');
      assert.equal((await world.crmGet('contact', rejectedId, ['jobtitle'])).jobtitle, 'Boss!!');
      // And the next change goes through as usual.
      await world.editPerson(rejected.id, { title: 'Boss' });
      await world.pass();
      assert.equal((await world.crmGet('contact', rejectedId, ['jobtitle'])).jobtitle, 'Boss');
      const open = await world.testStore.store.listSyncErrors({ limit: 10, status: ['open', 'retry'] });
      assert.equal(open.items.length, 0, 'the error is resolved');
    }));

  test('B6.2 a 429 storm and 5xx faults: passes complete, changes arrive, no sync errors and no crm.sync-failed', () =>
    emulator.run(
      {
        seed: { seed: 'demo', contacts: 6, leads: 3, accounts: 2 },
        // 5xx on reads are retried; ten attempts make giving up (0.2^10) practically impossible.
        retry: { maxAttempts: 10 },
      },
      async (world) => {
        const ids = await contactsOf(world, ['Storm', 'Thunder', 'Rain']);
        await world.pass();
        await world.crmUpdate('contact', ids[0], { firstname: 'Stormy' });
        const newId = await world.crmCreate('contact', {
          firstname: 'Hail',
          lastname: 'Scenario',
          emailaddress1: 'hail@scenario.test',
        });
        const pushed = [
          await world.linkedPerson('contact', ids[1]),
          await world.linkedPerson('contact', ids[2]),
        ];
        for (const person of pushed) await world.editPerson(person.id, { title: 'Through the storm' });

        const limits = await world.crm('PUT', '/_emulator/limits', {
          requestsPerWindow: 4,
          windowSeconds: 1,
          maxConcurrent: 1,
        });
        assert.equal(limits.status, 200, JSON.stringify(limits.json));
        const faults = await world.crm('PUT', '/_emulator/faults', { seed: 42, http5xxRate: 0.2 });
        assert.equal(faults.status, 200, JSON.stringify(faults.json));
        let passes = 0;
        try {
          // A write batch that met a 5xx is not known to be unexecuted, so it is not resent at once: it stays
          // pending for the next pass (B6.2). Passes run until nothing is pending.
          do {
            await world.pass();
            passes += 1;
          } while (
            (await world.testStore.store.listPendingPushes({ limit: 1 })).items.length > 0 &&
            passes < 8
          );
        } finally {
          await world.crm('PUT', '/_emulator/faults', {});
          await world.crm('PUT', '/_emulator/limits', {});
        }
        const stats = await world.crm('GET', '/_emulator/stats');
        assert.ok(stats.json.throttled > 0, `the storm happened: ${JSON.stringify(stats.json)}`);
        const connector = world.deps.crm.stats();
        assert.ok(connector.throttled > 0, JSON.stringify(connector));
        assert.ok(
          connector.retries > connector.throttled,
          `5xx were retried too: ${JSON.stringify(connector)}`,
        );
        assert.ok(passes < 8, 'the pending pushes drained');

        assert.equal((await world.linkedPerson('contact', ids[0])).fields.firstName, 'Stormy');
        assert.equal((await world.linkedPerson('contact', newId)).fields.firstName, 'Hail');
        for (const id of ids.slice(1)) {
          assert.equal((await world.crmGet('contact', id, ['jobtitle'])).jobtitle, 'Through the storm');
        }
        assert.deepEqual((await world.testStore.store.listSyncErrors({ limit: 10 })).items, []);
        const persons = await world.testStore.store.listPersons({ limit: 100 });
        for (const person of persons.items) assert.deepEqual(await failedActivities(world, person.id), []);
      },
    ));
});
