import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemFields } from '../../src/domain/person-fields.ts';
import { openApiTestContext, type ApiTestContext, type OpenStore } from './support/api-test-context.ts';

const missingId = '0190a5f0-0000-7000-8000-00000000beef';

/** The persons endpoints (interfaces.md §4) over a real store of one backend. */
export function registerPersonsApiTests(backend: string, openStore: OpenStore): void {
  describe(`persons API on ${backend}`, () => {
    let api: ApiTestContext;
    before(async () => {
      api = await openApiTestContext(openStore);
    });
    after(() => api.close());

    test('POST creates a person (201) that GET serves flat with id, timestamps, fields and system fields', async () => {
      const created = await api.post('/api/v1/persons', {
        email: 'Ada@Example.com',
        firstName: 'Ada',
        doNotCall: true,
        annualRevenue: 12.5,
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.created, true);
      const person = await api.get(`/api/v1/persons/${created.body.id}`);
      assert.equal(person.status, 200);
      assert.equal(person.body.id, created.body.id);
      assert.equal(person.body.email, 'Ada@Example.com');
      assert.equal(person.body.firstName, 'Ada');
      assert.equal(person.body.doNotCall, true);
      assert.equal(person.body.annualRevenue, 12.5);
      assert.ok(!Number.isNaN(Date.parse(person.body.createdAt)));
      assert.ok(!Number.isNaN(Date.parse(person.body.updatedAt)));
      for (const name of Object.keys(systemFields)) assert.ok(name in person.body, `system field ${name}`);
      assert.equal(person.body.crmType, null);
    });

    test('POST with an email already present (any case) updates that person → 200 created:false', async () => {
      const first = await api.post('/api/v1/persons', { email: 'grace@example.com', firstName: 'G' });
      const second = await api.post('/api/v1/persons', { email: '  GRACE@example.COM', lastName: 'Hopper' });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.deepEqual(second.body, { id: first.body.id, created: false });
      const person = await api.get(`/api/v1/persons/${first.body.id}`);
      assert.equal(person.body.firstName, 'G');
      assert.equal(person.body.lastName, 'Hopper');
      const byEmail = await api.get('/api/v1/persons?email=Grace%40Example.com');
      assert.deepEqual(
        byEmail.body.items.map((item: { id: string }) => item.id),
        [first.body.id],
      );
    });

    test('POST without an email always creates a new person', async () => {
      const a = await api.post('/api/v1/persons', { firstName: 'NoMail' });
      const b = await api.post('/api/v1/persons', { firstName: 'NoMail' });
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(a.body.id, b.body.id);
    });

    test('POST with an unknown field or a wrong type → 400 and no person is stored', async () => {
      const cases = [
        [{ email: 'unknown@example.com', shoeSize: 42 }, 'UNKNOWN_FIELD'],
        [{ email: 'unknown@example.com', doNotCall: 'yes' }, 'VALIDATION_FAILED'],
        [{ email: 'unknown@example.com', firstName: 5 }, 'VALIDATION_FAILED'],
        [{ email: 'unknown@example.com', numberOfEmployees: 2.5 }, 'VALIDATION_FAILED'],
        [{ email: 'unknown@example.com', crmLeadId: 'x' }, 'READ_ONLY_FIELD'],
      ] as const;
      for (const [body, code] of cases) {
        const response = await api.post('/api/v1/persons', body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.error.code, code, JSON.stringify(response.body));
      }
      const listed = await api.get('/api/v1/persons?email=unknown%40example.com');
      assert.deepEqual(listed.body.items, []);
    });

    test('PATCH updates only the given fields, null clears one; a rejected PATCH changes nothing', async () => {
      const { body } = await api.post('/api/v1/persons', {
        email: 'patch@example.com',
        firstName: 'Pat',
        city: 'Oslo',
      });
      const url = `/api/v1/persons/${body.id}`;
      const patched = await api.patch(url, { city: null, title: 'CTO' });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.firstName, 'Pat');
      assert.equal(patched.body.city, null);
      assert.equal(patched.body.title, 'CTO');

      const before = (await api.get(url)).body;
      for (const [change, code] of [
        [{ firstName: 'X', shoeSize: 1 }, 'UNKNOWN_FIELD'],
        [{ firstName: 'X', doNotEmail: 1 }, 'VALIDATION_FAILED'],
        [{ firstName: 'X', crmType: 'lead' }, 'READ_ONLY_FIELD'],
        [{ firstName: 'X', notes: 'n'.repeat(100_001) }, 'VALIDATION_FAILED'],
      ] as const) {
        const rejected = await api.patch(url, change);
        assert.equal(rejected.status, 400);
        assert.equal(rejected.body.error.code, code);
      }
      assert.deepEqual((await api.get(url)).body, before);
    });

    test('GET, PATCH, DELETE and activities of a person that does not exist → 404 NOT_FOUND', async () => {
      const url = `/api/v1/persons/${missingId}`;
      for (const response of [
        await api.get(url),
        await api.patch(url, { firstName: 'Ghost' }),
        await api.delete(url),
        await api.get(`${url}/activities`),
      ]) {
        assert.equal(response.status, 404);
        assert.equal(response.body.error.code, 'NOT_FOUND');
      }
    });

    test('DELETE → 204; the person is gone', async () => {
      const { body } = await api.post('/api/v1/persons', { email: 'gone@example.com' });
      const deleted = await api.delete(`/api/v1/persons/${body.id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, undefined);
      assert.equal((await api.get(`/api/v1/persons/${body.id}`)).status, 404);
      assert.equal((await api.delete(`/api/v1/persons/${body.id}`)).status, 404);
    });

    test('GET /api/v1/persons filters by crmType and updatedSince', async () => {
      const lead = await api.store.createPerson(
        { email: 'lead@example.com', crmType: 'lead', crmLeadId: '0190a5f0-0000-7000-8000-00000000aaaa' },
        'sync',
      );
      const leads = await api.get('/api/v1/persons?crmType=lead&limit=1000');
      assert.deepEqual(
        leads.body.items.map((item: { id: string }) => item.id),
        [lead.id],
      );
      const none = await api.get('/api/v1/persons?crmType=none&limit=1000');
      assert.ok(none.body.items.length > 0);
      assert.ok(none.body.items.every((item: { crmType: unknown }) => item.crmType === null));
      const future = await api.get(
        `/api/v1/persons?updatedSince=${encodeURIComponent('2999-01-01T00:00:00Z')}`,
      );
      assert.deepEqual(future.body, { items: [], nextCursor: null });
      const past = await api.get(
        `/api/v1/persons?updatedSince=${encodeURIComponent('2000-01-01T00:00:00Z')}`,
      );
      assert.ok(past.body.items.length > 0);
    });

    test('a cursor the server did not issue → 400 INVALID_CURSOR', async () => {
      for (const cursor of ['garbage', 'eyJ4IjoxfQ', '%00%01']) {
        const response = await api.get(`/api/v1/persons?cursor=${cursor}`);
        assert.equal(response.status, 400, cursor);
        assert.equal(response.body.error.code, 'INVALID_CURSOR');
      }
    });
  });

  describe(`persons API on ${backend}: concurrency and pagination`, () => {
    let api: ApiTestContext;
    before(async () => {
      api = await openApiTestContext(openStore);
    });
    after(() => api.close());

    test('20 concurrent create-or-update calls for one email create exactly one person', async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          api.post('/api/v1/persons', {
            email: index % 2 === 0 ? 'race@example.com' : 'RACE@Example.com',
            firstName: `Racer ${index}`,
          }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      assert.deepEqual(statuses, [...Array(19).fill(200), 201].sort());
      assert.equal(new Set(responses.map((response) => response.body.id)).size, 1);
      assert.equal(responses.filter((response) => response.body.created === true).length, 1);
      const listed = await api.get('/api/v1/persons?email=race%40example.com');
      assert.equal(listed.body.items.length, 1);
    });

    test('paging through GET /api/v1/persons visits every person exactly once', async () => {
      await api.store.createPersons(
        Array.from({ length: 53 }, (_, index) => ({ email: `page${index}@example.com` })),
        'api',
      );
      const expected = new Set<string>();
      let cursor: string | undefined;
      do {
        const all = await api.store.listPersons({ limit: 1000, ...(cursor ? { cursor } : {}) });
        for (const person of all.items) expected.add(person.id);
        cursor = all.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.equal(expected.size, 54, 'the 53 persons plus the racer');

      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const query: string = next === null ? 'limit=7' : `limit=7&cursor=${encodeURIComponent(next)}`;
        const page = await api.get(`/api/v1/persons?${query}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.ok(page.body.items.length <= 7);
        seen.push(...page.body.items.map((item: { id: string }) => item.id));
        next = page.body.nextCursor;
        pages += 1;
        assert.ok(pages < 100, 'paging does not end');
      } while (next !== null);
      assert.equal(seen.length, expected.size, 'no person twice');
      assert.deepEqual(new Set(seen), expected);
      assert.ok(pages >= 8);
    });

    test('limit defaults to 100 and accepts 1 and 1000', async () => {
      assert.equal((await api.get('/api/v1/persons')).body.items.length, 54);
      await api.store.createPersons(
        Array.from({ length: 60 }, () => ({ firstName: 'bulk' })),
        'api',
      );
      const defaultPage = await api.get('/api/v1/persons');
      assert.equal(defaultPage.body.items.length, 100);
      assert.notEqual(defaultPage.body.nextCursor, null);
      assert.equal((await api.get('/api/v1/persons?limit=1')).body.items.length, 1);
      assert.equal((await api.get('/api/v1/persons?limit=1000')).body.items.length, 114);
    });
  });
}
