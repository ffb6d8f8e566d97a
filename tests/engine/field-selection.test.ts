import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

/** The attributes of the entity selected now. */
async function selected(world: SyncWorld, entity: string): Promise<string[]> {
  return (await world.service.listFields())
    .filter((field) => field.entity === entity && field.selected)
    .map((field) => field.attribute);
}

async function fieldView(world: SyncWorld, entity: string, attribute: string) {
  const view = (await world.service.listFields()).find(
    (field) => field.entity === entity && field.attribute === attribute,
  );
  assert.ok(view, `${entity}.${attribute} is listed`);
  return view;
}

describe('engine: field access and selection (B5)', () => {
  const emulator = useEmulator();

  test('B5.1 the secured contact.new_creditscore is never read, never offered and never written', () =>
    emulator.run(
      {
        seed: { seed: 'demo', contacts: 8, leads: 2, accounts: 2 },
      },
      async (world) => {
        await world.pass();
        // The data is there for an administrator…
        const admin = await world.crm('GET', 'contacts?$select=contactid,new_creditscore');
        assert.ok(
          admin.json.value.some((row: any) => typeof row.new_creditscore === 'number'),
          'the demo data has credit scores',
        );
        // …but not offered to the sync.
        const view = await fieldView(world, 'contact', 'new_creditscore');
        assert.equal(view.state, 'inaccessible');
        assert.equal(view.selected, false);
        assert.equal(view.access.read, false);
        await assert.rejects(
          world.service.saveFields({ contact: [...(await selected(world, 'contact')), 'new_creditscore'] }),
          (error: any) => error.code === 'VALIDATION_FAILED' && /new_creditscore/.test(error.message),
        );
        assert.equal((await fieldView(world, 'contact', 'new_creditscore')).selected, false);

        // Edits on both sides, then more passes: the attribute is never read nor written.
        const links = await world.testStore.store.listLinks('contact', { limit: 100 });
        const [first, second] = links.items.filter((link) => link.state === 'active');
        await world.crmUpdate('contact', first.crmId, { jobtitle: 'Changed', new_creditscore: 700 });
        await world.editPerson(second.personId, { title: 'Edited' });
        await world.pass();
        await world.service.resync({ entity: 'contact', crmId: first.crmId });
        assert.equal((await world.linkedPerson('contact', first.crmId)).fields.title, 'Changed');
        assert.equal((await world.crmGet('contact', second.crmId, ['jobtitle'])).jobtitle, 'Edited');
        const touching = world.calls.filter(
          (call) =>
            call.select?.includes('new_creditscore') ||
            call.operations?.some((operation) => 'new_creditscore' in operation.values),
        );
        assert.deepEqual(touching, [], 'no read selects it and no write carries it');
        assert.ok(
          world.calls.some((call) => call.method === 'readChanges' && call.entity === 'contact'),
          'contacts were read (the check above is not vacuous)',
        );
        const personFields = (await world.testStore.store.listPersonFields()).map((field) => field.name);
        assert.ok(!personFields.includes('new_creditscore'), 'no person field');
        const people = await world.testStore.store.listPersons({ crmType: 'contact', limit: 100 });
        assert.ok(people.items.length > 0);
        for (const person of people.items) assert.ok(!('new_creditscore' in person.fields));
      },
    ));

  test('B5.1 a readable-but-not-updatable attribute (contact.fullname) is pulled and never pushed', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        firstname: 'Read',
        lastname: 'Only',
        emailaddress1: 'readonly@scenario.test',
      });
      await world.pass();
      const view = await fieldView(world, 'contact', 'fullname');
      assert.equal(view.access.read, true);
      assert.equal(view.access.update, false);
      await world.service.saveFields({ contact: [...(await selected(world, 'contact')), 'fullname'] });
      await world.service.backfills.runPending();
      assert.equal((await world.linkedPerson('contact', contactId)).fields.fullname, 'Read Only');

      await world.crmUpdate('contact', contactId, { firstname: 'Really' });
      await world.pass();
      assert.equal((await world.linkedPerson('contact', contactId)).fields.fullname, 'Really Only', 'pulled');

      const person = await world.linkedPerson('contact', contactId);
      world.calls.length = 0;
      await world.editPerson(person.id, { fullname: 'Marketing Name', title: 'Pushed' });
      await world.pass();
      const crm = await world.crmGet('contact', contactId, ['fullname', 'jobtitle']);
      assert.equal(crm.jobtitle, 'Pushed', 'the updatable field of the same person was pushed');
      assert.equal(crm.fullname, 'Really Only');
      const carrying = world.writes().filter((operation) => 'fullname' in operation.values);
      assert.deepEqual(carrying, [], 'never pushed');
      assert.equal((await world.testStore.store.listSyncErrors({ limit: 10 })).items.length, 0);
    }));

  test('B5.1 B5.4 an attribute made readable but not updatable by field permissions is offered after saving (schema refresh), pulled and never pushed', () =>
    emulator.run({}, async (world) => {
      const contactId = await world.crmCreate('contact', {
        lastname: 'Scored',
        emailaddress1: 'scored@scenario.test',
        new_creditscore: 640,
      });
      await world.pass();
      assert.equal((await fieldView(world, 'contact', 'new_creditscore')).state, 'inaccessible');
      const permissions = await world.crm(
        'GET',
        `fieldpermissions?$filter=_fieldsecurityprofileid_value eq ${emulatorFixtures.syncProfileId} and attributelogicalname eq 'new_creditscore'&$select=fieldpermissionid`,
      );
      const [permission] = permissions.json.value;
      const granted = await world.crm(
        'PATCH',
        `fieldpermissions(${permission.fieldpermissionid})`,
        { canread: 4, canupdate: 0 },
        { 'if-match': '*' },
      );
      assert.equal(granted.status, 204);

      // Saving the selection refreshes the schema from the CRM (B5.4): the column is selectable now.
      await world.service.saveFields({ contact: [...(await selected(world, 'contact')), 'new_creditscore'] });
      const view = await fieldView(world, 'contact', 'new_creditscore');
      assert.deepEqual([view.access.read, view.access.update], [true, false]);
      await world.service.backfills.runPending();
      const person = await world.linkedPerson('contact', contactId);
      assert.equal(person.fields.new_creditscore, 640, 'pulled');

      await world.crmUpdate('contact', contactId, { new_creditscore: 700 });
      await world.pass();
      assert.equal((await world.linkedPerson('contact', contactId)).fields.new_creditscore, 700);

      world.calls.length = 0;
      await world.editPerson(person.id, { new_creditscore: 300, title: 'Scored' });
      await world.pass();
      assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'Scored');
      assert.equal((await world.crmGet('contact', contactId, ['new_creditscore'])).new_creditscore, 700);
      const carrying = world.writes().filter((operation) => 'new_creditscore' in operation.values);
      assert.deepEqual(carrying, [], 'never pushed');
      assert.deepEqual((await world.testStore.store.listSyncErrors({ limit: 10 })).items, []);
    }));

  test('B5.5 selecting an existing attribute backfills every linked person, nulls included; it cannot be deselected while backfilling', () =>
    emulator.run({ settings: { pageSize: 2 } }, async (world) => {
      const tiers = [100000002, null, 100000000, null, 100000003];
      const ids: string[] = [];
      for (const [index, tier] of tiers.entries()) {
        ids.push(
          await world.crmCreate('contact', {
            firstname: `Tier${index}`,
            lastname: 'Backfill',
            emailaddress1: `tier${index}@scenario.test`,
            new_tier: tier,
          }),
        );
      }
      await world.pass();
      const before = await fieldView(world, 'contact', 'new_tier');
      assert.equal(before.selected, false, 'not selected by default');
      const defaults = await selected(world, 'contact');

      await world.service.saveFields({ contact: [...defaults, 'new_tier'] });
      assert.equal((await fieldView(world, 'contact', 'new_tier')).state, 'backfilling');
      await assert.rejects(world.service.saveFields({ contact: defaults }), (error: any) => {
        assert.equal(error.code, 'CONFLICT');
        assert.match(error.message, /new_tier/);
        return true;
      });
      assert.equal(
        (await fieldView(world, 'contact', 'new_tier')).selected,
        true,
        'the refusal changed nothing',
      );

      await world.service.backfills.runPending();
      assert.equal((await fieldView(world, 'contact', 'new_tier')).state, 'synced');
      const labels = ['Gold', null, 'Bronze', null, 'Platinum'];
      for (const [index, id] of ids.entries()) {
        const person = await world.linkedPerson('contact', id);
        assert.ok('new_tier' in person.fields, 'the person field exists');
        assert.equal(person.fields.new_tier, labels[index], `contact ${index}`);
      }
      const notifications = await world.testStore.store.listNotifications({ limit: 50 });
      assert.ok(notifications.items.some((item) => item.type === 'backfill-done'));

      // A backfilled null is a synced value: a marketing edit of it is pushed, a CRM edit pulled.
      const nullTier = await world.linkedPerson('contact', ids[1]);
      await world.editPerson(nullTier.id, { new_tier: 'Silver' });
      await world.crmUpdate('contact', ids[3], { new_tier: 100000002 });
      await world.pass();
      assert.equal((await world.crmGet('contact', ids[1], ['new_tier'])).new_tier, 100000001);
      assert.equal((await world.linkedPerson('contact', ids[3])).fields.new_tier, 'Gold');

      // Once backfilled it may be deselected.
      await world.service.saveFields({ contact: defaults });
      assert.equal((await fieldView(world, 'contact', 'new_tier')).selected, false);
    }));
});
