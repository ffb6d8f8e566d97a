import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { StoreKind } from '../helpers/test-store.ts';
import { bearerApi } from '../helpers/bearer-api.ts';
import { useEmulator, type SyncWorld } from '../engine/sync-world.ts';
import { buildTestServer, testApiKey } from './support/test-server.ts';

/**
 * B5.7 over HTTP, against the emulator as its own process: selecting an attribute the CRM does not have is an
 * attempt to create a CRM field, refused with its own code, and nothing changes — not the selection, not the
 * person fields, no backfill, and no column appears in the CRM.
 */
async function withApi(world: SyncWorld, scenario: (api: ReturnType<typeof bearerApi>) => Promise<void>) {
  const app = await buildTestServer(world.testStore.store, { syncAdmin: world.service });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await scenario(bearerApi(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, testApiKey));
  } finally {
    await app.close();
  }
}

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly StoreKind[]) {
  describe(`B5.7 no CRM field is created through Syncline (${backend})`, () => {
    const emulator = useEmulator();

    test('PUT /api/v1/sync/fields naming an attribute the CRM lacks → 400 CRM_FIELD_CREATION_NOT_SUPPORTED, nothing changed', () =>
      emulator.run({ store: backend }, async (world) => {
        await world.pass();
        await withApi(world, async (api) => {
          const fields = (await api('GET', '/api/v1/sync/fields')).body;
          const personFields = (await api('GET', '/api/v1/person-fields')).body;
          const selected = fields
            .filter((field: any) => field.entity === 'contact' && field.selected)
            .map((field: any) => field.attribute);
          assert.ok(selected.length > 5, 'the first pass selected the defaults');

          for (const item of ['new_loyaltytier', { attribute: 'new_loyaltytier', policy: 'crm-wins' }]) {
            // With a real, unselected attribute beside it: the refusal is all or nothing.
            const refused = await api('PUT', '/api/v1/sync/fields', {
              contact: [...selected, 'new_tier', item],
            });
            assert.equal(refused.status, 400, refused.text);
            assert.equal(refused.body.error.code, 'CRM_FIELD_CREATION_NOT_SUPPORTED');
            assert.match(refused.body.error.message, /contact has no attribute "new_loyaltytier" in the CRM/);
            assert.match(refused.body.error.message, /does not create CRM fields \(B5\.7\)/);
            assert.deepEqual(refused.body.error.details, { entity: 'contact', attribute: 'new_loyaltytier' });
          }

          assert.deepEqual(
            (await api('GET', '/api/v1/sync/fields')).body,
            fields,
            'the selection is unchanged',
          );
          assert.deepEqual((await api('GET', '/api/v1/person-fields')).body, personFields, 'no person field');
          const jobs = await world.testStore.store.listBackfillJobs({ limit: 100 });
          assert.deepEqual(jobs.items, [], 'no backfill was started');
          const column = await world.crm(
            'GET',
            `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_loyaltytier')`,
          );
          assert.equal(column.status, 404, 'no column was created in the CRM');

          // An attribute the CRM has but that is no value (a lookup) stays a validation error, not B5.7.
          const lookup = await api('PUT', '/api/v1/sync/fields', {
            contact: [...selected, 'parentcustomerid'],
          });
          assert.equal(lookup.status, 400);
          assert.equal(lookup.body.error.code, 'VALIDATION_FAILED', lookup.text);
          // And a real attribute is still selectable.
          const saved = await api('PUT', '/api/v1/sync/fields', { contact: [...selected, 'new_tier'] });
          assert.equal(saved.status, 200, saved.text);
        });
      }));
  });
}
