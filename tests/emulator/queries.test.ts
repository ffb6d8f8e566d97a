import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

describe('emulator queries (reference §1)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 120, accounts: 8, leads: 5 });
  });
  after(() => ctx.close());

  test('paging: odata.maxpagesize → nextLink with the Dataverse cookie on the request origin; pages are disjoint and complete', async () => {
    const seen = new Set<string>();
    let url: string | undefined = 'contacts?$select=fullname';
    let pages = 0;
    while (url) {
      const page = await ctx.request('GET', url, { headers: { Prefer: 'odata.maxpagesize=50' } });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('preference-applied'), 'odata.maxpagesize=50');
      assert.equal(page.json['@odata.context'], `${ctx.api}$metadata#contacts(fullname)`);
      for (const row of page.json.value) {
        assert.ok(!seen.has(row.contactid), 'no row twice');
        seen.add(row.contactid);
      }
      url = page.json['@odata.nextLink'];
      if (url) {
        assert.ok(
          url.startsWith(
            `${ctx.api}contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%22${pages + 2}%22%20pagingcookie=%22%253ccookie%2520page%253d%2522${pages + 1}%2522%253e%253ccontactid%2520last%253d%2522%257b`,
          ),
        );
        assert.ok(url.endsWith('%22%20istracking=%22False%22%20/%3E'));
      }
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(seen.size, 120);
  });

  test('default page size is 5,000 and larger preferences are ignored', async () => {
    const page = await ctx.request('GET', 'contacts?$select=fullname', {
      headers: { Prefer: 'odata.maxpagesize=9000' },
    });
    assert.equal(page.json.value.length, 120);
    assert.equal(page.headers.get('preference-applied'), null);
  });

  test('$filter: comparison, and/or/not, parentheses, string functions, null, lookup guid, In', async () => {
    const all = (
      await ctx.request(
        'GET',
        'contacts?$select=firstname,lastname,_parentcustomerid_value,new_tier,statecode',
      )
    ).json.value as any[];
    const count = async (filter: string) => {
      const response = await ctx.request(
        'GET',
        `contacts?$select=contactid&$filter=${encodeURIComponent(filter)}`,
      );
      assert.equal(response.status, 200, `${filter}: ${response.text}`);
      return response.json.value.length as number;
    };
    const first = all[0];
    assert.equal(
      await count(`firstname eq '${first.firstname.toUpperCase()}'`),
      all.filter((c) => c.firstname === first.firstname).length,
      'eq is case-insensitive',
    );
    assert.equal(await count(`startswith(lastname,'s')`), all.filter((c) => /^s/i.test(c.lastname)).length);
    assert.equal(await count(`contains(lastname,'an')`), all.filter((c) => /an/i.test(c.lastname)).length);
    assert.equal(
      await count(`endswith(lastname,'n') or new_tier eq null`),
      all.filter((c) => /n$/i.test(c.lastname) || c.new_tier === null).length,
    );
    assert.equal(
      await count(`not startswith(lastname,'s') and statecode eq 0`),
      all.filter((c) => !/^s/i.test(c.lastname) && c.statecode === 0).length,
      'not binds tighter than and',
    );
    assert.equal(
      await count(`(new_tier eq 100000000 or new_tier eq 100000001) and statecode eq 0`),
      all.filter((c) => (c.new_tier === 100000000 || c.new_tier === 100000001) && c.statecode === 0).length,
    );
    const account = all.find((c) => c._parentcustomerid_value)._parentcustomerid_value;
    assert.equal(
      await count(`_parentcustomerid_value eq ${account}`),
      all.filter((c) => c._parentcustomerid_value === account).length,
    );
    assert.equal(
      await count(
        `Microsoft.Dynamics.CRM.In(PropertyName='new_tier',PropertyValues=["100000000","100000003"])`,
      ),
      all.filter((c) => c.new_tier === 100000000 || c.new_tier === 100000003).length,
    );
    assert.equal(
      await count(`contains(lastname,'s%n')`),
      all.filter((c) => /s.*n/i.test(c.lastname)).length,
      'LIKE wildcards',
    );
  });

  test('$orderby with paging keeps a total order across pages', async () => {
    const names: string[] = [];
    let url: string | undefined = 'contacts?$select=lastname&$orderby=lastname desc';
    while (url) {
      const page = await ctx.request('GET', url, { headers: { Prefer: 'odata.maxpagesize=7' } });
      names.push(...page.json.value.map((r: any) => r.lastname.toLowerCase()));
      url = page.json['@odata.nextLink'];
    }
    assert.equal(names.length, 120);
    assert.deepEqual(names, [...names].sort().reverse());
  });

  test('$top limits rows (no nextLink); $count=true and /$count', async () => {
    const top = await ctx.request('GET', 'contacts?$select=fullname&$top=5');
    assert.equal(top.json.value.length, 5);
    assert.equal(top.json['@odata.nextLink'], undefined);
    const counted = await ctx.request('GET', 'accounts?$select=accountid&$count=true');
    assert.equal(counted.json['@odata.count'], 8);
    const plain = await ctx.request('GET', 'accounts/$count');
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(plain.text, '8');
  });

  test('unsupported and malformed options → 400 Dataverse errors', async () => {
    for (const option of ['$skip=1', '$search=x', '$format=json']) {
      const response = await ctx.request('GET', `contacts?${option}`);
      assert.equal(response.status, 400, option);
      assert.equal(errorOf(response).code, '0x80060888');
    }
    const syntax = await ctx.request(
      'GET',
      `contacts?$filter=${encodeURIComponent("lastname eq 'O'Bryan'")}`,
    );
    assert.equal(syntax.status, 400);
    assert.match(errorOf(syntax).message, /position \d+ in 'lastname eq 'O'Bryan''/);
    const unknown = await ctx.request('GET', `contacts?$filter=bogus eq 1`);
    assert.deepEqual(errorOf(unknown), {
      code: '0x80060888',
      message: "Could not find a property named 'bogus' on type 'Microsoft.Dynamics.CRM.contact'.",
    });
    const select = await ctx.request('GET', `contacts?$select=parentcustomerid`);
    assert.equal(select.status, 400, 'lookups are selected as _x_value');
    const token = await ctx.request('GET', `contacts?$skiptoken=garbage`);
    assert.equal(token.status, 400);
  });

  test('parameter aliases are substituted outside string literals only (an email is not an alias)', async () => {
    const [first] = (await ctx.request('GET', 'contacts?$select=emailaddress1&$top=1')).json.value;
    const literal = await ctx.request(
      'GET',
      `contacts?$select=contactid&$filter=emailaddress1 eq '${first.emailaddress1}'`,
    );
    assert.equal(literal.status, 200, literal.text);
    assert.deepEqual(
      literal.json.value.map((r: { contactid: string }) => r.contactid),
      [first.contactid],
    );
    const aliased = await ctx.request(
      'GET',
      `contacts?$select=contactid&$filter=emailaddress1 eq @mail&@mail='${encodeURIComponent(first.emailaddress1)}'`,
    );
    assert.equal(aliased.status, 200, aliased.text);
    assert.deepEqual(aliased.json.value, literal.json.value);
    const undefinedAlias = await ctx.request('GET', `contacts?$filter=emailaddress1 eq @nope`);
    assert.equal(undefinedAlias.status, 400);
    assert.equal(errorOf(undefinedAlias).message, "The parameter alias '@nope' is not defined.");
  });

  test('navigation path in $filter (one hop)', async () => {
    const accounts = (await ctx.request('GET', 'accounts?$select=name')).json.value as any[];
    const name = accounts[0].name;
    const response = await ctx.request(
      'GET',
      `contacts?$select=_parentcustomerid_value&$filter=${encodeURIComponent(`parentcustomerid_account/name eq '${name}'`)}`,
    );
    assert.equal(response.status, 200);
    for (const row of response.json.value) assert.equal(row._parentcustomerid_value, accounts[0].accountid);
  });

  test('a client mistake is never answered with a 500, and requests without a token get 401 + WWW-Authenticate', async () => {
    const anonymous = await ctx.request('GET', 'contacts', { token: null });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer authorization_uri=/);
    const wrong = await ctx.request('GET', 'contacts', { token: 'nope' });
    assert.equal(wrong.status, 401);
    for (const path of [
      'contacts(not-a-guid)',
      "contacts(bogus='x')",
      'contacts(',
      "EntityDefinitions(LogicalName='nope')",
      'contacts?$filter=',
      '%E0%A4%A',
    ]) {
      const response = await ctx.request('GET', path);
      assert.ok(
        response.status >= 400 && response.status < 500,
        `${path} → ${response.status} ${response.text}`,
      );
      errorOf(response);
    }
  });
});
