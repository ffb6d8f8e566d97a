import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { createTestDatabase, executeRaw, storeKinds } from '../helpers/test-store.ts';

for (const kind of storeKinds) {
  test(`migration 0004 moves flows:qualify:/flows:seen: cursors into person markers, drops orphans, keeps feed cursors (${kind})`, async () => {
    const database = await createTestDatabase(kind);
    try {
      const store = await createStore(database.config, silentLogger());
      await store.migrate();
      const ann = await store.createPerson({ email: 'ann@example.com' }, 'api');
      const bob = await store.createPerson({ email: 'bob@example.com' }, 'api');
      await store.close();
      const gone = '01900000-0000-7000-8000-000000000000';
      const at = '2026-01-01T00:00:00.000Z';
      await executeRaw(database, [
        'drop table person_markers',
        `insert into sync_cursors (name, value, updated_at) values
          ('flows:qualify:${ann.id}', 'lead-1', '${at}'),
          ('flows:seen:${ann.id}', '{"rating":"Warm"}', '${at}'),
          ('flows:seen:${bob.id}', '{"rating":"Hot"}', '${at}'),
          ('flows:qualify:${gone}', 'lead-of-a-deleted-person', '${at}'),
          ('flows:seen:${gone}', '{}', '${at}'),
          ('flows:campaigns', 'feed-position', '${at}'),
          ('marketing:persons', 'engine-position', '${at}')`,
        `delete from syncline_migration where name = '0004_person_markers'`,
      ]);
      const migrated = await createStore(database.config, silentLogger());
      try {
        assert.deepEqual((await migrated.migrate()).applied, ['0004_person_markers']);
        assert.equal(await migrated.getMarker(ann.id, 'qualify'), 'lead-1');
        assert.equal(await migrated.getMarker(ann.id, 'campaign-seen'), '{"rating":"Warm"}');
        assert.equal(await migrated.getMarker(bob.id, 'campaign-seen'), '{"rating":"Hot"}');
        assert.equal(await migrated.getMarker(bob.id, 'qualify'), undefined);
        assert.equal(await migrated.getMarker(gone, 'qualify'), undefined);
        for (const moved of [ann.id, bob.id, gone]) {
          assert.equal(await migrated.getCursor(`flows:qualify:${moved}`), undefined);
          assert.equal(await migrated.getCursor(`flows:seen:${moved}`), undefined);
        }
        assert.equal(await migrated.getCursor('flows:campaigns'), 'feed-position');
        assert.equal(await migrated.getCursor('marketing:persons'), 'engine-position');
        // The moved rows are real markers: they go with their person.
        await migrated.deletePerson(ann.id);
        assert.equal(await migrated.getMarker(ann.id, 'campaign-seen'), undefined);
      } finally {
        await migrated.close();
      }
    } finally {
      await database.dispose();
    }
  });
}
