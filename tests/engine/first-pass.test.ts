import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openSyncWorld, startEmulatorProcess, type EmulatorProcess } from './sync-world.ts';

describe('engine smoke', () => {
  let emulator: EmulatorProcess;
  before(async () => {
    emulator = await startEmulatorProcess(['--seed', 'empty']);
  });
  after(() => emulator.stop());

  test('B2.6 the first pass loads every contact and lead', async () => {
    const world = await openSyncWorld(emulator);
    try {
      const counts = await world.pass();
      const contacts = await world.crm('GET', 'contacts?$select=contactid,emailaddress1,new_synctomkto');
      assert.equal(contacts.status, 200);
      const syncing = contacts.json.value.filter((row: any) => row.new_synctomkto !== false);
      for (const row of syncing) {
        const person = await world.personByCrmId('contact', row.contactid);
        assert.ok(person, `contact ${row.contactid} has a person`);
        assert.equal(person.fields.crmType, 'contact');
        assert.equal(person.fields.email, row.emailaddress1);
      }
      assert.ok((counts['contact.fromCrm.created'] ?? 0) >= syncing.length, JSON.stringify(counts));
    } finally {
      await world.close();
    }
  });
});
