import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import { createTestDatabase, executeRaw, storeKinds } from '../helpers/test-store.ts';

for (const kind of storeKinds) {
  test(`migration 0003 moves per-field bases into one document per record, values and types intact (B4.1, ${kind})`, async () => {
    const database = await createTestDatabase(kind);
    try {
      const store = await createStore(database.config, silentLogger());
      await store.migrate();
      await store.close();
      const ts = kind === 'sqlite' ? 'text' : 'timestamptz';
      await executeRaw(database, [
        'drop table record_bases',
        `create table field_bases (entity text not null, crm_id text not null, field text not null,
          value text not null, updated_at ${ts} not null, primary key (entity, crm_id, field))`,
        `insert into field_bases values
          ('contact', 'C-1', 'firstName', '"Ann"', '2026-01-01T00:00:00.000Z'),
          ('contact', 'C-1', 'annualRevenue', '1.25', '2026-01-01T00:00:00.000Z'),
          ('contact', 'C-1', 'doNotCall', 'false', '2026-01-01T00:00:00.000Z'),
          ('contact', 'C-1', 'city', 'null', '2026-01-01T00:00:00.000Z'),
          ('contact', 'C-1', 'title', '"{\\"looks\\":\\"like json\\"}"', '2026-01-01T00:00:00.000Z'),
          ('lead', 'C-1', 'firstName', '"Lead Ann"', '2026-01-02T00:00:00.000Z')`,
        `delete from syncline_migration where name = '0003_record_bases'`,
      ]);
      const migrated = await createStore(database.config, silentLogger());
      try {
        assert.deepEqual((await migrated.migrate()).applied, ['0003_record_bases']);
        assert.deepEqual(Object.fromEntries(await migrated.getBases('contact', 'C-1')), {
          firstName: 'Ann',
          annualRevenue: 1.25,
          doNotCall: false,
          city: null,
          title: '{"looks":"like json"}',
        });
        assert.deepEqual(Object.fromEntries(await migrated.getBases('lead', 'C-1')), {
          firstName: 'Lead Ann',
        });
        await migrated.setBases('contact', 'C-1', { firstName: 'Anne', city: undefined });
        assert.equal((await migrated.getBases('contact', 'C-1')).get('firstName'), 'Anne');
        assert.equal((await migrated.getBases('contact', 'C-1')).has('city'), false);
      } finally {
        await migrated.close();
      }
    } finally {
      await database.dispose();
    }
  });
}
