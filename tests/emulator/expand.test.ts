import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

/**
 * `$expand` and `$ref` over real HTTP (join-tables, associate-disassociate-entities; issue 16 item 9). Data:
 * account Alpha (primary contact Ames) with contacts Ames, Byrd, Cole; account Beta with none; contact Dunn
 * without a parent.
 */
describe('emulator $expand and $ref', () => {
  let ctx: EmulatorContext;
  const ids: Record<string, string> = {};
  const idOf = (location: string | null) => /\(([0-9a-f-]{36})\)$/.exec(location ?? '')![1];
  before(async () => {
    ctx = await openEmulator({ seed: 'empty' });
    for (const name of ['Alpha', 'Beta']) {
      const created = await ctx.request('POST', 'accounts', { body: { name } });
      ids[name] = idOf(created.headers.get('odata-entityid'));
    }
    for (const lastname of ['Ames', 'Byrd', 'Cole', 'Dunn']) {
      const body: Record<string, unknown> = { firstname: 'Pat', lastname };
      if (lastname !== 'Dunn') body['parentcustomerid_account@odata.bind'] = `/accounts(${ids.Alpha})`;
      const created = await ctx.request('POST', 'contacts', { body });
      assert.equal(created.status, 204, created.text);
      ids[lastname] = idOf(created.headers.get('odata-entityid'));
    }
    const linked = await ctx.request('PATCH', `accounts(${ids.Alpha})`, {
      body: { 'primarycontactid@odata.bind': `/contacts(${ids.Ames})` },
    });
    assert.equal(linked.status, 204, linked.text);
  });
  after(() => ctx.close());

  test('retrieve with a single-valued $expand and $select: nested object without ETag, context names it', async () => {
    const response = await ctx.request(
      'GET',
      `accounts(${ids.Alpha})?$select=name&$expand=primarycontactid($select=fullname),createdby($select=fullname)`,
    );
    assert.equal(response.status, 200, response.text);
    assert.equal(
      response.json['@odata.context'],
      `${ctx.api}$metadata#accounts(name,primarycontactid(fullname),createdby(fullname))/$entity`,
    );
    assert.deepEqual(response.json.primarycontactid, { fullname: 'Pat Ames', contactid: ids.Ames });
    assert.equal(typeof response.json.createdby.fullname, 'string');
    assert.equal(response.json.name, 'Alpha');
    const beta = await ctx.request(
      'GET',
      `accounts(${ids.Beta})?$select=name&$expand=primarycontactid($select=fullname)`,
    );
    assert.equal(beta.json.primarycontactid, null, 'an empty lookup expands to null');
  });

  test('query with a single-valued $expand of a polymorphic lookup; annotations inside the expansion', async () => {
    const response = await ctx.request(
      'GET',
      `contacts?$select=lastname&$orderby=lastname&$expand=parentcustomerid_account($select=name,statecode)`,
      { headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' } },
    );
    assert.equal(response.status, 200, response.text);
    assert.equal(
      response.json['@odata.context'],
      `${ctx.api}$metadata#contacts(lastname,parentcustomerid_account(name,statecode))`,
    );
    const byName = Object.fromEntries(response.json.value.map((c: any) => [c.lastname, c]));
    assert.deepEqual(byName.Ames.parentcustomerid_account, {
      name: 'Alpha',
      'statecode@OData.Community.Display.V1.FormattedValue': 'Active',
      statecode: 0,
      accountid: ids.Alpha,
    });
    assert.equal(byName.Dunn.parentcustomerid_account, null);
    assert.ok(byName.Ames['@odata.etag'], 'the top-level row keeps its ETag');
  });

  test("collection-valued $expand with $select/$top/$orderby: ETags, the relationship's lookup, a nextLink to the filtered collection", async () => {
    const response = await ctx.request(
      'GET',
      `accounts(${ids.Alpha})?$select=name&$expand=contact_customer_accounts($select=fullname;$top=2;$orderby=lastname desc)`,
    );
    assert.equal(response.status, 200, response.text);
    const related = response.json.contact_customer_accounts;
    assert.deepEqual(
      related.map((c: any) => Object.keys(c)),
      [0, 1].map(() => ['@odata.etag', 'fullname', '_parentcustomerid_value', 'contactid']),
    );
    assert.deepEqual(
      related.map((c: any) => c.fullname),
      ['Pat Cole', 'Pat Byrd'],
    );
    const link = response.json['contact_customer_accounts@odata.nextLink'];
    assert.equal(
      link,
      `${ctx.api}accounts(${ids.Alpha})/contact_customer_accounts?$select=fullname&$top=2&$orderby=lastname desc`,
    );
    const followed = await ctx.request('GET', link);
    assert.equal(followed.status, 200, followed.text);
    assert.deepEqual(
      followed.json.value.map((c: any) => c.fullname),
      ['Pat Cole', 'Pat Byrd'],
      'the link returns the same rows',
    );
    const all = await ctx.request('GET', `accounts(${ids.Alpha})/contact_customer_accounts?$select=lastname`);
    assert.deepEqual(all.json.value.map((c: any) => c.lastname).sort(), ['Ames', 'Byrd', 'Cole']);
    const none = await ctx.request(
      'GET',
      `accounts?$select=name&$filter=name eq 'Beta'&$expand=contact_customer_accounts($select=fullname)`,
    );
    assert.deepEqual(none.json.value[0].contact_customer_accounts, []);
  });

  test('nested $expand: expanded collections are paged by odata.maxpagesize; $top there is refused', async () => {
    const query = `accounts(${ids.Alpha})?$select=name&$expand=contact_customer_accounts($select=lastname;$expand=parentcustomerid_account($select=name))`;
    const response = await ctx.request('GET', query, { headers: { Prefer: 'odata.maxpagesize=2' } });
    assert.equal(response.status, 200, response.text);
    const page = response.json.contact_customer_accounts;
    assert.equal(page.length, 2);
    assert.equal(page[0]['@odata.etag'], undefined, 'no ETag in the nested shape');
    assert.deepEqual(page[0].parentcustomerid_account, { name: 'Alpha', accountid: ids.Alpha });
    const link: string = response.json['contact_customer_accounts@odata.nextLink'];
    assert.match(link, /\/contact_customer_accounts\?\$select=lastname&\$expand=.*&\$skiptoken=%3Ccookie/);
    const next = await ctx.request('GET', link, { headers: { Prefer: 'odata.maxpagesize=2' } });
    assert.equal(next.status, 200, next.text);
    const seen = [...page, ...next.json.value].map((c: any) => c.lastname).sort();
    assert.deepEqual(seen, ['Ames', 'Byrd', 'Cole']);

    const refused = await ctx.request(
      'GET',
      `accounts?$select=name&$expand=contact_customer_accounts($top=1;$expand=createdby($select=fullname))`,
    );
    assert.equal(refused.status, 400);
    assert.deepEqual(errorOf(refused), {
      code: '0x80060888',
      message:
        'Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.',
    });
  });

  test('$expand errors: unknown property, a column that is no navigation property, $ref on a collection', async () => {
    const unknown = await ctx.request('GET', `accounts?$expand=nothing_here`);
    assert.equal(unknown.status, 400);
    assert.deepEqual(errorOf(unknown), {
      code: '0x80060888',
      message: "Could not find a property named 'nothing_here' on type 'Microsoft.Dynamics.CRM.account'.",
    });
    const column = await ctx.request('GET', `accounts?$expand=name`);
    assert.equal(column.status, 400);
    assert.match(errorOf(column).message, /is not a navigation property/);
    const ref = await ctx.request('GET', `accounts?$expand=contact_customer_accounts/$ref`);
    assert.deepEqual(errorOf(ref), {
      code: '0x80060888',
      message: 'Expand with $ref is only supported on lookup type navigation property.',
    });
    const refs = await ctx.request(
      'GET',
      `accounts(${ids.Alpha})?$select=name&$expand=primarycontactid/$ref`,
    );
    assert.deepEqual(refs.json.primarycontactid, { '@odata.id': `${ctx.api}contacts(${ids.Ames})` });
  });

  test('PUT and DELETE on <lookup>/$ref associate and disassociate; errors for unknown property and record', async () => {
    const parentOf = async () =>
      (await ctx.request('GET', `contacts(${ids.Dunn})?$select=_parentcustomerid_value`)).json
        ._parentcustomerid_value;
    const put = await ctx.request('PUT', `contacts(${ids.Dunn})/parentcustomerid_account/$ref`, {
      body: { '@odata.id': `${ctx.api}accounts(${ids.Beta})` },
    });
    assert.equal(put.status, 204, put.text);
    assert.equal(await parentOf(), ids.Beta);
    const relative = await ctx.request('PUT', `accounts(${ids.Beta})/primarycontactid/$ref`, {
      body: { '@odata.id': `contacts(${ids.Dunn})` },
    });
    assert.equal(relative.status, 204, relative.text);
    const removed = await ctx.request('DELETE', `contacts(${ids.Dunn})/parentcustomerid_account/$ref`);
    assert.equal(removed.status, 204, removed.text);
    assert.equal(await parentOf(), null);

    const unknownProperty = await ctx.request('PUT', `contacts(${ids.Dunn})/nothing_here/$ref`, {
      body: { '@odata.id': `accounts(${ids.Beta})` },
    });
    assert.equal(unknownProperty.status, 400);
    assert.deepEqual(errorOf(unknownProperty), {
      code: '0x80060888',
      message: "Could not find a property named 'nothing_here' on type 'Microsoft.Dynamics.CRM.contact'.",
    });
    const missing = '00000000-0000-4000-8000-00000000abcd';
    const unknownRecord = await ctx.request('PUT', `contacts(${ids.Dunn})/parentcustomerid_account/$ref`, {
      body: { '@odata.id': `accounts(${missing})` },
    });
    assert.equal(unknownRecord.status, 404);
    assert.deepEqual(errorOf(unknownRecord), {
      code: '0x80040217',
      message: `account With Id = ${missing} Does Not Exist`,
    });
    const unknownSubject = await ctx.request('DELETE', `contacts(${missing})/parentcustomerid_account/$ref`);
    assert.equal(unknownSubject.status, 404);
    assert.equal(errorOf(unknownSubject).code, '0x80040217');
    const noBody = await ctx.request('PUT', `contacts(${ids.Dunn})/parentcustomerid_account/$ref`, {
      body: {},
    });
    assert.equal(noBody.status, 400);
    assert.equal(await parentOf(), null, 'failed requests changed nothing');
  });

  test('POST and DELETE on a collection /$ref set and clear the related row’s lookup', async () => {
    const posted = await ctx.request('POST', `accounts(${ids.Beta})/contact_customer_accounts/$ref`, {
      body: { '@odata.id': `${ctx.api}contacts(${ids.Dunn})` },
    });
    assert.equal(posted.status, 204, posted.text);
    const list = await ctx.request('GET', `accounts(${ids.Beta})/contact_customer_accounts?$select=lastname`);
    assert.deepEqual(
      list.json.value.map((c: any) => c.lastname),
      ['Dunn'],
    );
    const notRelated = await ctx.request(
      'DELETE',
      `accounts(${ids.Beta})/contact_customer_accounts(${ids.Ames})/$ref`,
    );
    assert.equal(notRelated.status, 404);
    const removed = await ctx.request(
      'DELETE',
      `accounts(${ids.Beta})/contact_customer_accounts/$ref?$id=${encodeURIComponent(`${ctx.api}contacts(${ids.Dunn})`)}`,
    );
    assert.equal(removed.status, 204, removed.text);
    const after = await ctx.request(
      'GET',
      `accounts(${ids.Beta})/contact_customer_accounts?$select=lastname`,
    );
    assert.deepEqual(after.json.value, []);
  });

  test('$metadata: every navigation property has a partner on its target type that points back', async () => {
    const xml = (await ctx.request('GET', '$metadata', { token: adminToken })).text;
    const types = new Map<string, Map<string, { type: string; partner?: string }>>();
    for (const [, name, body] of xml.matchAll(
      /<EntityType Name="(\w+)"[^>]*?(?:\/>|>(.*?)<\/EntityType>)/g,
    )) {
      const navs = new Map<string, { type: string; partner?: string }>();
      for (const [, nav, type, partner] of (body ?? '').matchAll(
        /<NavigationProperty Name="(\w+)" Type="([^"]+)"(?: Partner="(\w+)")?/g,
      ))
        navs.set(nav, { type, partner });
      types.set(name, navs);
    }
    assert.equal(types.get('account')!.get('contact_customer_accounts')?.type, 'Collection(mscrm.contact)');
    assert.equal(types.get('contact')!.get('parentcustomerid_account')?.partner, 'contact_customer_accounts');
    assert.equal(types.get('contact')!.get('ownerid')?.type, 'mscrm.principal');
    let checked = 0;
    for (const [name, navs] of types) {
      for (const [nav, { type, partner }] of navs) {
        const target = /^(?:Collection\()?mscrm\.(\w+)\)?$/.exec(type)?.[1];
        assert.ok(target && types.has(target), `${name}.${nav}: type ${type} is declared`);
        if (partner === undefined) continue;
        const back = types.get(target)!.get(partner);
        assert.ok(back, `${name}.${nav}: partner ${target}.${partner} exists`);
        assert.ok(back.partner === undefined || back.partner === nav, `${target}.${partner} points back`);
        checked++;
      }
    }
    assert.ok(checked > 50, `${checked} partnered navigation properties`);
  });
});
