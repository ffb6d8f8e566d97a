import assert from 'node:assert/strict';
import { standardFields, systemFields } from '../../src/domain/person-fields.ts';
import { maxStringLength } from '../../src/store/sql/person-validation.ts';
import type { PersonQuery, PersonStore } from '../../src/store/person-store.ts';
import {
  type StoreFactory,
  allChanges,
  collectPages,
  portTest,
  rejectsWithCode,
  waitForChanges,
  withSecondStore,
} from './store-contract-support.ts';

/** The persons port (PersonStore): persons, validation, upsert by email, listing, bulk writes, custom fields. */
export function registerPersonStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): PersonStore => store);

  it('creates a person and reads it back with every field, system fields null', async (store) => {
    const created = await store.createPerson(
      {
        email: 'Ada@Example.com',
        firstName: 'Ada',
        doNotCall: true,
        annualRevenue: 12.5,
        numberOfEmployees: 7,
      },
      'api',
    );
    const read = await store.getPerson(created.id);
    assert.deepEqual(read, created);
    assert.equal(read!.fields.firstName, 'Ada');
    assert.equal(read!.fields.doNotCall, true);
    assert.equal(read!.fields.annualRevenue, 12.5);
    assert.equal(read!.fields.numberOfEmployees, 7);
    for (const name of [...Object.keys(systemFields), ...standardFields.map((field) => field.name)]) {
      assert.ok(name in read!.fields, `field ${name} is served`);
    }
    assert.equal(read!.fields.crmType, null);
    assert.equal(read!.fields.lastName, null);
    assert.match(read!.createdAt, /^\d{4}-\d{2}-\d{2}T.*Z$/);
    assert.equal(read!.createdAt, read!.updatedAt);
  });

  it('updatePersons: a page of updates with validation, unchanged rows untouched, one change per changed person', async (store) => {
    const [ann, bob, cy] = await store.createPersons(
      [
        { email: 'ann@example.com', firstName: 'Ann' },
        { email: 'bob@example.com' },
        { email: 'cy@example.com' },
      ],
      'api',
    );
    const feedBefore = await allChanges(store);
    const updated = await store.updatePersons(
      [
        { id: ann.id, fields: { firstName: 'Anne', lastName: 'Lee' } },
        { id: bob.id, fields: { email: 'bob@example.com' } },
        { id: '01900000-0000-7000-8000-000000000000', fields: { firstName: 'Nobody' } },
        { id: cy.id, fields: { city: 'Oslo', email: 'CY2@example.com' } },
      ],
      'sync',
    );
    assert.deepEqual(
      updated.map((person) => person.id),
      [ann.id, bob.id, cy.id],
    );
    assert.equal((await store.getPerson(ann.id))!.fields.lastName, 'Lee');
    assert.equal((await store.getPerson(bob.id))!.updatedAt, bob.updatedAt, 'no change, no write');
    assert.equal((await store.listPersons({ email: 'cy2@example.com', limit: 5 })).items[0].id, cy.id);
    const feed = (await allChanges(store)).slice(feedBefore.length);
    assert.deepEqual(
      feed.map((change) => [change.personId, change.origin, [...change.fields].sort()]),
      [
        [ann.id, 'sync', ['firstName', 'lastName']],
        [cy.id, 'sync', ['city', 'email']],
      ],
    );
    await rejectsWithCode(
      store.updatePersons([{ id: ann.id, fields: { numberOfEmployees: 'many' as never } }], 'sync'),
      'VALIDATION_FAILED',
    );
    await rejectsWithCode(
      store.updatePersons(
        [
          { id: ann.id, fields: { city: 'A' } },
          { id: ann.id, fields: { city: 'B' } },
        ],
        'sync',
      ),
      'VALIDATION_FAILED',
    );
    assert.equal((await store.getPerson(ann.id))!.fields.city, null, 'a refused call writes nothing');
  });

  it('updatePersons: more rows than one statement takes (1,001 + 200): every row written and found by its new email', async (store) => {
    const ids = await store.createPersonIds(
      Array.from({ length: 1_201 }, (_, i) => ({ email: `bulk${i}@example.com`, city: 'Old' })),
      'sync',
    );
    const updated = await store.updatePersons(
      ids.map((id, i) => ({ id, fields: { city: `City ${i}`, email: `moved${i}@example.com` } })),
      'sync',
    );
    assert.equal(updated.length, 1_201);
    for (const i of [0, 999, 1_000, 1_200]) {
      const person = await store.getPerson(ids[i]);
      assert.equal(person!.fields.city, `City ${i}`, `row ${i}`);
      assert.equal(person!.updatedAt, updated[i].updatedAt, `row ${i} reads as returned`);
      const byEmail = await store.listPersons({ email: `MOVED${i}@example.com`, limit: 2 });
      assert.deepEqual(
        byEmail.items.map((item) => item.id),
        [ids[i]],
        `email_norm of row ${i} rewritten`,
      );
    }
    assert.equal((await store.listPersons({ email: 'bulk1000@example.com', limit: 2 })).items.length, 0);
  });

  it('createPersonIds: the ids of a bulk create in input order; one invalid item writes nothing', async (store) => {
    const ids = await store.createPersonIds(
      [{ email: 'one@example.com', firstName: 'One' }, { firstName: 'Two' }, { email: 'three@example.com' }],
      'sync',
    );
    assert.equal(ids.length, 3);
    const persons = await store.getPersons(ids);
    assert.deepEqual(
      persons.map((person) => person.fields.firstName),
      ['One', 'Two', null],
    );
    assert.equal(persons[2].fields.email, 'three@example.com');
    await rejectsWithCode(
      store.createPersonIds([{ email: 'four@example.com' }, { nope: 1 }], 'sync'),
      'UNKNOWN_FIELD',
    );
    assert.equal((await store.listPersons({ email: 'four@example.com', limit: 5 })).items.length, 0);
  });

  it('findPersonsByEmails: matches case-insensitively per given email, oldest first, marketing-only on request (B3.2)', async (store) => {
    const first = await store.createPerson({ email: 'Dup@Example.com' }, 'api');
    const second = await store.createPerson({ email: 'dup@example.com', crmType: 'contact' }, 'sync');
    const found = await store.findPersonsByEmails(['DUP@example.com', 'none@example.com', '']);
    assert.deepEqual(
      found.get('DUP@example.com')!.map((person) => person.id),
      [first.id, second.id],
    );
    assert.deepEqual(found.get('none@example.com'), []);
    assert.deepEqual(found.get(''), []);
    const marketingOnly = await store.findPersonsByEmails(['dup@example.com'], { crmType: 'none' });
    assert.deepEqual(
      marketingOnly.get('dup@example.com')!.map((person) => person.id),
      [first.id],
    );
  });

  it('getPerson answers undefined for unknown and malformed ids', async (store) => {
    assert.equal(await store.getPerson('01900000-0000-7000-8000-000000000000'), undefined);
    assert.equal(await store.getPerson('not a uuid \u0000'), undefined);
    assert.equal(await store.getPerson(''), undefined);
  });

  it('getPersons loads many in the order asked, leaving out unknown ids', async (store) => {
    const [a, b, c] = await store.createPersons(
      [{ email: 'a@m.io' }, { email: 'b@m.io' }, { email: 'c@m.io' }],
      'api',
    );
    const loaded = await store.getPersons([c.id, 'unknown', a.id, c.id, 'bad\u0000']);
    assert.deepEqual(
      loaded.map((person) => person.id),
      [c.id, a.id],
    );
    assert.deepEqual(loaded[1], a);
    assert.deepEqual(await store.getPersons([]), []);
    assert.notEqual(b.id, a.id);
    await rejectsWithCode(
      store.getPersons(Array.from({ length: 1001 }, (_, index) => `id-${index}`)),
      'VALIDATION_FAILED',
    );
  });

  it('rejects unknown fields with UNKNOWN_FIELD and stores nothing', async (store) => {
    await rejectsWithCode(store.createPerson({ email: 'a@b.c', shoeSize: 42 }, 'api'), 'UNKNOWN_FIELD');
    await rejectsWithCode(
      store.upsertPersonByEmail({ email: 'a@b.c', shoeSize: 42 }, 'api'),
      'UNKNOWN_FIELD',
    );
    assert.equal((await store.listPersons({ limit: 10 })).items.length, 0);
    assert.equal((await allChanges(store)).length, 0);
  });

  it('rejects wrong types and oversize values with VALIDATION_FAILED, listing each problem', async (store) => {
    const cases: Record<string, unknown>[] = [
      { firstName: 42 },
      { doNotCall: 'yes' },
      { numberOfEmployees: 1.5 },
      { annualRevenue: Number.NaN },
      { annualRevenue: '12' },
      { crmCreatedAt: 'yesterday' },
      { firstName: 'x'.repeat(maxStringLength + 1) },
      { firstName: 'nul\u0000byte' },
      { firstName: { nested: true } },
    ];
    for (const fields of cases) {
      const origin = 'crmCreatedAt' in fields ? 'sync' : 'api';
      await rejectsWithCode(store.createPerson(fields as never, origin), 'VALIDATION_FAILED');
    }
    await assert.rejects(
      store.createPerson({ firstName: 1, lastName: true } as never, 'api'),
      (error: unknown) => {
        const problems = (error as { details: { problems: { field: string }[] } }).details.problems;
        assert.deepEqual(problems.map((problem) => problem.field).sort(), ['firstName', 'lastName']);
        return true;
      },
    );
    await rejectsWithCode(store.createPerson([] as never, 'api'), 'VALIDATION_FAILED');
    await rejectsWithCode(store.createPerson(null as never, 'api'), 'VALIDATION_FAILED');
    assert.equal((await store.listPersons({ limit: 10 })).items.length, 0);
  });

  it('accepts a string of exactly the maximum length', async (store) => {
    const person = await store.createPerson({ notes: 'n'.repeat(maxStringLength) }, 'api');
    assert.equal((await store.getPerson(person.id))!.fields.notes, 'n'.repeat(maxStringLength));
  });

  it('system fields are read-only except for the sync (READ_ONLY_FIELD)', async (store) => {
    for (const origin of ['api', 'flow', 'system'] as const) {
      await rejectsWithCode(store.createPerson({ crmLeadId: 'x' }, origin), 'READ_ONLY_FIELD');
    }
    await rejectsWithCode(store.createPerson({ id: 'mine' } as never, 'api'), 'READ_ONLY_FIELD');
    await rejectsWithCode(
      store.createPerson({ createdAt: '2024-01-01T00:00:00Z' } as never, 'sync'),
      'READ_ONLY_FIELD',
    );
    const person = await store.createPerson({ email: 'a@b.c' }, 'api');
    await rejectsWithCode(store.updatePerson(person.id, { crmType: 'lead' }, 'api'), 'READ_ONLY_FIELD');
    const synced = await store.updatePerson(
      person.id,
      { crmType: 'lead', crmLeadId: 'L1', crmCreatedAt: '2024-05-01T12:00:00+02:00', crmIsDeleted: false },
      'sync',
    );
    assert.equal(synced!.fields.crmType, 'lead');
    assert.equal(synced!.fields.crmCreatedAt, '2024-05-01T10:00:00.000Z', 'date-times are normalised to UTC');
    await rejectsWithCode(store.updatePerson(person.id, { crmType: 'account' }, 'sync'), 'VALIDATION_FAILED');
  });

  it('upsertPersonByEmail creates, then updates the same person case-insensitively (B3.2)', async (store) => {
    const first = await store.upsertPersonByEmail({ email: 'Grace@Example.COM', firstName: 'Grace' }, 'api');
    assert.equal(first.created, true);
    const second = await store.upsertPersonByEmail(
      { email: '  grace@example.com ', lastName: 'Hopper' },
      'api',
    );
    assert.equal(second.created, false);
    assert.equal(second.person.id, first.person.id);
    assert.equal(second.person.fields.firstName, 'Grace');
    assert.equal(second.person.fields.lastName, 'Hopper');
    assert.equal((await store.listPersons({ limit: 10 })).items.length, 1);
    await rejectsWithCode(store.upsertPersonByEmail({ firstName: 'No email' }, 'api'), 'VALIDATION_FAILED');
    await rejectsWithCode(store.upsertPersonByEmail({ email: '   ' }, 'api'), 'VALIDATION_FAILED');
  });

  it('upsertPersonByEmail updates the oldest when the CRM sync created several with one email (B3.2)', async (store) => {
    const oldest = await store.createPerson({ email: 'twin@example.com', firstName: 'One' }, 'sync');
    await store.createPerson({ email: 'TWIN@example.com', firstName: 'Two' }, 'sync');
    const result = await store.upsertPersonByEmail({ email: 'twin@example.com', title: 'CEO' }, 'api');
    assert.equal(result.created, false);
    assert.equal(result.person.id, oldest.id);
    assert.equal(result.person.fields.title, 'CEO');
  });

  it('20 concurrent upserts for one email create exactly one person', async (store) => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.upsertPersonByEmail(
          { email: index % 2 ? 'Same@Example.com' : 'same@example.com', phone: `${index}` },
          'api',
        ),
      ),
    );
    assert.equal(results.filter((result) => result.created).length, 1);
    assert.equal(new Set(results.map((result) => result.person.id)).size, 1);
    const listed = await store.listPersons({ email: 'SAME@example.com', limit: 100 });
    assert.equal(listed.items.length, 1);
  });

  it('20 concurrent upserts for one email through two stores (processes) create one person', async (store, database) => {
    await withSecondStore(database, async (other) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (index % 2 ? store : other).upsertPersonByEmail(
            { email: 'shared@example.com', fax: `${index}` },
            'api',
          ),
        ),
      );
      assert.equal(results.filter((result) => result.created).length, 1);
      assert.equal((await store.listPersons({ email: 'shared@example.com', limit: 100 })).items.length, 1);
    });
  });

  it('updatePerson merges fields, null clears, unknown ids answer undefined', async (store) => {
    const person = await store.createPerson({ email: 'u@example.com', firstName: 'U', city: 'Oslo' }, 'api');
    const updated = await store.updatePerson(person.id, { city: null, lastName: 'V' }, 'api');
    assert.equal(updated!.fields.firstName, 'U');
    assert.equal(updated!.fields.city, null);
    assert.equal(updated!.fields.lastName, 'V');
    assert.ok(updated!.updatedAt >= person.updatedAt);
    assert.deepEqual(await store.getPerson(person.id), updated);
    assert.equal(
      await store.updatePerson('01900000-0000-7000-8000-000000000000', { city: 'X' }, 'api'),
      undefined,
    );
    await rejectsWithCode(store.updatePerson(person.id, { city: 3 }, 'api'), 'VALIDATION_FAILED');
    assert.equal((await store.getPerson(person.id))!.fields.city, null);
  });

  it('an update that changes nothing writes no change (echo suppression, B4.4)', async (store) => {
    const person = await store.createPerson({ email: 'e@example.com', firstName: 'E' }, 'sync');
    const { after } = await waitForChanges(store, 1);
    const same = await store.updatePerson(person.id, { firstName: 'E', lastName: null }, 'sync');
    assert.equal(same!.updatedAt, person.updatedAt);
    await store.updatePerson(person.id, { lastName: 'Marker' }, 'sync');
    const next = await waitForChanges(store, 1, after);
    assert.deepEqual(
      next.items.map((change) => change.fields),
      [['lastName']],
      'only the real change follows',
    );
  });

  it('deletePerson removes the person and its activities, records a delete, never twice (B3.6)', async (store) => {
    const person = await store.createPerson({ email: 'd@example.com' }, 'api');
    await store.appendActivity(person.id, 'data-value-changed', { field: 'email' });
    assert.equal(await store.deletePerson(person.id), true);
    assert.equal(await store.getPerson(person.id), undefined);
    assert.equal(await store.deletePerson(person.id), false);
    assert.equal(await store.deletePerson('nonsense\u0000'), false);
    assert.deepEqual((await store.listActivities(person.id, { limit: 10 })).items, []);
    const changes = (await waitForChanges(store, 2)).items;
    assert.deepEqual(
      changes.map((change) => change.kind),
      ['create', 'delete'],
    );
    assert.equal(changes[1].origin, 'api');
  });

  it('listPersons visits every person exactly once across pages', async (store) => {
    const created = await store.createPersons(
      Array.from({ length: 23 }, (_, index) => ({ email: `p${index}@example.com` })),
      'api',
    );
    const seen = await collectPages((cursor) => store.listPersons({ limit: 5, cursor }));
    assert.equal(seen.length, 23);
    assert.deepEqual(seen.map((person) => person.id).sort(), created.map((person) => person.id).sort());
  });

  it('listPersons keeps its place while persons are added and deleted between pages', async (store) => {
    const created = await store.createPersons(
      Array.from({ length: 10 }, (_, index) => ({ email: `k${index}@example.com` })),
      'api',
    );
    const first = await store.listPersons({ limit: 4 });
    await store.deletePerson(created[0].id);
    await store.createPerson({ email: 'late@example.com' }, 'api');
    const rest = await collectPages((cursor) =>
      store.listPersons({ limit: 4, cursor: cursor ?? first.nextCursor! }),
    );
    const ids = [...first.items, ...rest].map((person) => person.id);
    assert.equal(new Set(ids).size, ids.length, 'no person twice');
    for (const person of created) assert.ok(ids.includes(person.id), 'every original person once');
  });

  it('listPersons filters by email (case-insensitive), crmType and updatedSince', async (store) => {
    const lead = await store.createPerson({ email: 'Lead@Example.com', crmType: 'lead' }, 'sync');
    const contact = await store.createPerson({ email: 'contact@example.com', crmType: 'contact' }, 'sync');
    const plain = await store.createPerson({ email: 'plain@example.com' }, 'api');
    const ids = async (query: PersonQuery) =>
      (await store.listPersons(query)).items.map((person) => person.id);
    assert.deepEqual(await ids({ email: 'LEAD@example.COM', limit: 10 }), [lead.id]);
    assert.deepEqual(await ids({ crmType: 'lead', limit: 10 }), [lead.id]);
    assert.deepEqual(await ids({ crmType: 'contact', limit: 10 }), [contact.id]);
    assert.deepEqual(await ids({ crmType: 'none', limit: 10 }), [plain.id]);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.deepEqual(await ids({ updatedSince: future, limit: 10 }), []);
    assert.equal((await ids({ updatedSince: '2000-01-01T00:00:00Z', limit: 10 })).length, 3);
    await rejectsWithCode(store.listPersons({ updatedSince: 'not a date', limit: 10 }), 'VALIDATION_FAILED');
  });

  it('list methods reject bad limits and foreign or malformed cursors', async (store) => {
    for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
      await rejectsWithCode(store.listPersons({ limit }), 'VALIDATION_FAILED');
    }
    for (const cursor of ['garbage', '', 'eyJ4IjoxfQ', Buffer.from('["persons",5]').toString('base64url')]) {
      await rejectsWithCode(store.listPersons({ limit: 10, cursor }), 'INVALID_CURSOR');
    }
    await store.createPersons([{ email: 'a@x.io' }, { email: 'b@x.io' }], 'api');
    const personCursor = (await store.listPersons({ limit: 1 })).nextCursor!;
    await rejectsWithCode(store.readPersonChanges(personCursor, 10), 'INVALID_CURSOR');
  });

  it('createPersons writes all items in order, or nothing when one is invalid', async (store) => {
    const created = await store.createPersons(
      Array.from({ length: 1500 }, (_, index) => ({
        email: `bulk${index}@example.com`,
        numberOfEmployees: index,
      })),
      'sync',
    );
    assert.equal(created.length, 1500);
    assert.equal(created[1234].fields.numberOfEmployees, 1234);
    assert.equal((await store.getPerson(created[1499].id))!.fields.email, 'bulk1499@example.com');
    await rejectsWithCode(
      store.createPersons(
        [{ email: 'ok@example.com' }, { email: 'bad@example.com', doNotCall: 'no' }],
        'api',
      ),
      'VALIDATION_FAILED',
    );
    assert.equal((await store.listPersons({ email: 'ok@example.com', limit: 10 })).items.length, 0);
  });

  it('custom person fields: listed, validated by type, unique names, seen by other processes', async (store, database) => {
    const fields = await store.listPersonFields();
    const crmType = fields.find((field) => field.name === 'crmType')!;
    assert.equal(crmType.readOnly, true);
    const email = fields.find((field) => field.name === 'email')!;
    assert.deepEqual(email, {
      name: 'email',
      type: 'string',
      source: 'standard',
      crm: { lead: 'emailaddress1', contact: 'emailaddress1' },
      readOnly: false,
    });
    assert.deepEqual(fields.find((field) => field.name === 'company')!.crm, {
      lead: 'companyname',
      account: 'name',
    });

    const tier = await store.addPersonField({
      name: 'new_tier',
      type: 'string',
      source: 'crm',
      crm: { lead: 'new_tier', contact: 'new_tier' },
    });
    assert.equal(tier.source, 'crm');
    await store.addPersonField({ name: 'score', type: 'integer', source: 'marketing' });
    const names = (await store.listPersonFields()).map((field) => field.name);
    assert.deepEqual(names.slice(-2), ['new_tier', 'score']);
    await rejectsWithCode(
      store.addPersonField({ name: 'score', type: 'string', source: 'marketing' }),
      'CONFLICT',
    );
    await rejectsWithCode(
      store.addPersonField({ name: 'Email', type: 'string', source: 'marketing' }),
      'CONFLICT',
    );
    await rejectsWithCode(
      store.addPersonField({ name: '9lives', type: 'string', source: 'marketing' }),
      'VALIDATION_FAILED',
    );
    await rejectsWithCode(
      store.addPersonField({ name: 'x'.repeat(101), type: 'string', source: 'marketing' }),
      'VALIDATION_FAILED',
    );
    await rejectsWithCode(
      store.addPersonField({ name: 'ok', type: 'money' as never, source: 'marketing' }),
      'VALIDATION_FAILED',
    );

    const person = await store.createPerson({ email: 'c@example.com', score: 5 }, 'api');
    assert.equal(person.fields.score, 5);
    assert.equal(person.fields.new_tier, null);
    await rejectsWithCode(store.updatePerson(person.id, { score: 'high' }, 'api'), 'VALIDATION_FAILED');

    // Another process adds a field; this store's cached registry must pick it up instead of rejecting it.
    await withSecondStore(database, async (other) => {
      await other.addPersonField({ name: 'late_field', type: 'boolean', source: 'marketing' });
    });
    const updated = await store.updatePerson(person.id, { late_field: true }, 'api');
    assert.equal(updated!.fields.late_field, true);
  });

  it('a field added inside a rolled-back transaction does not exist afterwards', async (store) => {
    await assert.rejects(
      store.withTransaction(async (tx) => {
        await tx.addPersonField({ name: 'ghost', type: 'string', source: 'marketing' });
        await tx.createPerson({ ghost: 'boo' }, 'api');
        throw new Error('abort');
      }),
      /abort/,
    );
    await rejectsWithCode(store.createPerson({ ghost: 'boo' }, 'api'), 'UNKNOWN_FIELD');
  });
}
