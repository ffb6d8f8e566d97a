import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiTestContext, type ApiTestContext, type OpenStore } from './support/api-test-context.ts';

const accountId = (n: number) => `0190a5f0-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** Activities, person fields and the CRM mirror (interfaces.md §4) over a real store of one backend. */
export function registerRecordsApiTests(backend: string, openStore: OpenStore): void {
  describe(`activities, person fields and CRM mirror API on ${backend}`, () => {
    let api: ApiTestContext;
    before(async () => {
      api = await openApiTestContext(openStore);
    });
    after(() => api.close());

    test("GET /persons/{id}/activities pages a person's activity log newest first (B6.4)", async () => {
      const person = await api.store.createPerson({ email: 'log@example.com' }, 'api');
      const types = [
        'crm.created-person',
        'data-value-changed',
        'crm.conflict',
        'crm.owner-changed',
        'crm.deleted',
      ];
      for (const [index, type] of types.entries()) {
        await api.store.appendActivity(
          person.id,
          type,
          { step: index },
          new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString(),
        );
      }
      const url = `/api/v1/persons/${person.id}/activities`;
      const first = await api.get(`${url}?limit=2`);
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.items.map((item: { type: string }) => item.type),
        ['crm.deleted', 'crm.owner-changed'],
      );
      assert.deepEqual(Object.keys(first.body.items[0]).sort(), ['at', 'attributes', 'id', 'type']);
      assert.deepEqual(first.body.items[0].attributes, { step: 4 });
      const rest = await api.get(`${url}?limit=10&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      assert.deepEqual(
        rest.body.items.map((item: { type: string }) => item.type),
        ['crm.conflict', 'data-value-changed', 'crm.created-person'],
      );
      assert.equal(rest.body.nextCursor, null);
      const forged = await api.get(`${url}?cursor=forged`);
      assert.equal(forged.status, 400);
      assert.equal(forged.body.error.code, 'INVALID_CURSOR');
    });

    test('GET /person-fields lists system (read-only), standard and custom fields', async () => {
      const response = await api.get('/api/v1/person-fields');
      assert.equal(response.status, 200);
      const byName = new Map(response.body.map((field: { name: string }) => [field.name, field]));
      assert.deepEqual(byName.get('crmType'), {
        name: 'crmType',
        type: 'string',
        source: 'standard',
        crm: {},
        readOnly: true,
      });
      assert.deepEqual(byName.get('email'), {
        name: 'email',
        type: 'string',
        source: 'standard',
        crm: { lead: 'emailaddress1', contact: 'emailaddress1' },
        readOnly: false,
      });
    });

    test('POST /person-fields adds a marketing-only field persons can then hold; a taken name → 409', async () => {
      const added = await api.post('/api/v1/person-fields', { name: 'shoeSize', type: 'integer' });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.deepEqual(added.body, {
        name: 'shoeSize',
        type: 'integer',
        source: 'marketing',
        crm: {},
        readOnly: false,
      });
      const listed = await api.get('/api/v1/person-fields');
      assert.ok(listed.body.some((field: { name: string }) => field.name === 'shoeSize'));

      for (const name of ['shoeSize', 'ShoeSize', 'email', 'firstName']) {
        const duplicate = await api.post('/api/v1/person-fields', { name, type: 'string' });
        assert.equal(duplicate.status, 409, name);
        assert.equal(duplicate.body.error.code, 'CONFLICT');
      }
      const listedAgain = await api.get('/api/v1/person-fields');
      assert.equal(listedAgain.body.length, listed.body.length, 'a refused field is not added');

      const person = await api.post('/api/v1/persons', { email: 'feet@example.com', shoeSize: 44 });
      assert.equal(person.status, 201, JSON.stringify(person.body));
      assert.equal((await api.get(`/api/v1/persons/${person.body.id}`)).body.shoeSize, 44);
      const wrong = await api.patch(`/api/v1/persons/${person.body.id}`, { shoeSize: 'large' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.code, 'VALIDATION_FAILED');
    });

    test('POST /person-fields asking for a CRM field → 400 CRM_FIELD_CREATION_NOT_SUPPORTED, nothing added (B5.7)', async () => {
      const before = (await api.get('/api/v1/person-fields')).body;
      for (const body of [
        { name: 'loyaltyTier', type: 'string', crm: { lead: 'new_loyaltytier' } },
        { name: 'loyaltyTier', type: 'string', crm: { contact: 'new_loyaltytier', lead: null } },
        { name: 'loyaltyTier', type: 'string', source: 'crm' },
        // Even with a name the schema would refuse: the reason to give is that CRM fields are not created here.
        { name: 'new_loyaltytier', type: 'string', source: 'crm', crm: { contact: 'new_loyaltytier' } },
      ]) {
        const refused = await api.post('/api/v1/person-fields', body);
        assert.equal(refused.status, 400, JSON.stringify(body));
        assert.equal(
          refused.body.error.code,
          'CRM_FIELD_CREATION_NOT_SUPPORTED',
          JSON.stringify(refused.body),
        );
        assert.match(refused.body.error.message, /does not create fields in the CRM.*Dynamics 365/);
      }
      assert.deepEqual((await api.get('/api/v1/person-fields')).body, before, 'no field was added');
      // The GET shape of a marketing field sent back (an empty mapping) is no CRM request: the schema judges it.
      const echoed = await api.post('/api/v1/person-fields', {
        name: 'loyaltyTier',
        type: 'string',
        crm: {},
      });
      assert.equal(echoed.body.error.code, 'VALIDATION_FAILED');
    });

    test('GET /crm/{entity} pages mirror rows with attributes and deleted; GET /crm/{entity}/{id} serves one', async () => {
      await api.store.upsertMirrorRows([
        ...Array.from({ length: 5 }, (_, n) => ({
          entity: 'account',
          id: accountId(n),
          attributes: { name: `Account ${n}`, revenue: n * 1000 },
          deleted: n === 4,
        })),
        { entity: 'new_subscription', id: accountId(99), attributes: { new_name: 'Gold' }, deleted: false },
      ]);
      const seen: string[] = [];
      let next: string | null = null;
      do {
        const query: string = next === null ? 'limit=2' : `limit=2&cursor=${encodeURIComponent(next)}`;
        const page = await api.get(`/api/v1/crm/account?${query}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        seen.push(...page.body.items.map((row: { id: string }) => row.id));
        next = page.body.nextCursor;
      } while (next !== null);
      assert.deepEqual(
        seen.sort(),
        Array.from({ length: 5 }, (_, n) => accountId(n)),
      );

      const row = await api.get(`/api/v1/crm/account/${accountId(1)}`);
      assert.equal(row.status, 200);
      assert.deepEqual(row.body.attributes, { name: 'Account 1', revenue: 1000 });
      assert.equal(row.body.deleted, false);
      assert.equal(row.body.entity, 'account');
      const tombstone = await api.get(`/api/v1/crm/account/${accountId(4).toUpperCase()}`);
      assert.equal(tombstone.status, 200);
      assert.equal(tombstone.body.deleted, true);

      const custom = await api.get('/api/v1/crm/new_subscription');
      assert.equal(custom.status, 200);
      assert.deepEqual(custom.body.items[0].attributes, { new_name: 'Gold' });

      const empty = await api.get('/api/v1/crm/team');
      assert.deepEqual(empty.body, { items: [], nextCursor: null });
      const missing = await api.get(`/api/v1/crm/account/${accountId(50)}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'NOT_FOUND');
      const forged = await api.get('/api/v1/crm/account?cursor=forged');
      assert.equal(forged.status, 400);
      assert.equal(forged.body.error.code, 'INVALID_CURSOR');
    });
  });
}
