import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, storeKinds, withRawPostgres, type TestDatabase } from '../helpers/test-store.ts';

/**
 * Store.refreshStatistics (issue 7): after an initial load's worth of rows, a page's lookup by CRM id must
 * use the primary key. Without statistics PostgreSQL planned `crm_id in (…)` as a scan of every link of the
 * entity (measured at 550,000 contacts: ≈ 1 s per page lookup), so each page cost more than the last.
 */
async function load(store: Store, count: number): Promise<string[]> {
  const personIds = await store.createPersonIds(
    Array.from({ length: count }, (_, i) => ({ email: `p${i}@example.com`, firstName: `P${i}` })),
    'sync',
  );
  const crmIds = personIds.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  await store.upsertLinks(
    personIds.map((personId, i) => ({
      entity: 'contact',
      crmId: crmIds[i],
      personId,
      state: 'active',
      etag: null,
      version: null,
    })),
  );
  return crmIds;
}

async function explainLinkLookup(database: TestDatabase, crmIds: readonly string[]): Promise<string> {
  const list = crmIds.map((id) => `'${id}'`).join(',');
  const query = `select * from crm_links where entity = 'contact' and crm_id in (${list})`;
  if (database.config.kind === 'sqlite') {
    const db = new DatabaseSync(database.config.path);
    try {
      const stats = db.prepare(`select count(*) as n from sqlite_stat1 where tbl = 'crm_links'`).get();
      assert.ok(Number(stats?.n) > 0, 'sqlite_stat1 has the links table');
      return db
        .prepare(`explain query plan ${query}`)
        .all()
        .map((row) => String(row.detail))
        .join('\n');
    } finally {
      db.close();
    }
  }
  return withRawPostgres(database, async (client) => {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${query}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

for (const kind of storeKinds) {
  describe(`planner statistics on ${kind}`, () => {
    test('after refreshStatistics a lookup of 100 of 20,000 links goes through the primary key on crm_id', async () => {
      const database = await createTestDatabase(kind);
      const store = await createStore(database.config, silentLogger());
      try {
        await store.migrate();
        const crmIds = await load(store, 20_000);
        await store.refreshStatistics();
        const plan = await explainLinkLookup(
          database,
          crmIds.filter((_, i) => i % 200 === 7),
        );
        if (kind === 'sqlite') {
          assert.match(plan, /USING INDEX .*\(entity=\? AND crm_id=\?\)/, plan);
        } else {
          assert.match(plan, /Index Cond: \(\(entity = 'contact'::text\) AND \(crm_id = ANY/, plan);
        }
        // Also callable inside a transaction (ANALYZE may run in one on PostgreSQL); it must not throw.
        await store.withTransaction((tx) => tx.refreshStatistics());
      } finally {
        await store.close();
        await database.dispose();
      }
    });
  });
}
