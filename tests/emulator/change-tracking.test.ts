import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

const track = { Prefer: 'odata.track-changes' };

describe('emulator change tracking (reference §2, behaviour B2.3/B2.5)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 30, accounts: 3, leads: 3 });
  });
  after(() => ctx.close());

  /** Follows next links; returns all rows and the final delta link. */
  const readAll = async (url: string, pageSize?: number) => {
    const rows: any[] = [];
    let next: string | undefined = url;
    let deltaLink: string | undefined;
    let pages = 0;
    while (next) {
      const prefer = pageSize ? `odata.track-changes,odata.maxpagesize=${pageSize}` : 'odata.track-changes';
      const page = await ctx.request('GET', next, { headers: { Prefer: prefer } });
      assert.equal(page.status, 200, page.text);
      assert.match(page.headers.get('preference-applied') ?? '', /odata\.track-changes/);
      rows.push(...page.json.value);
      next = page.json['@odata.nextLink'];
      deltaLink = page.json['@odata.deltaLink'];
      assert.ok(!(next && deltaLink), 'the delta link comes only on the last page');
      pages++;
    }
    return { rows, deltaLink: deltaLink!, pages };
  };

  test('initial load pages with nextLinks and ends with a deltaLink in the documented token format', async () => {
    const { rows, deltaLink, pages } = await readAll('contacts?$select=fullname,emailaddress1', 7);
    assert.equal(rows.length, 30);
    assert.equal(pages, 5);
    assert.match(
      deltaLink,
      new RegExp(
        `^${ctx.api.replace(/[.?]/g, '\\$&')}contacts\\?\\$select=fullname,emailaddress1&\\$deltatoken=\\d+%21\\d{2}%2f\\d{2}%2f\\d{4}%20\\d{2}%3a\\d{2}%3a\\d{2}$`,
      ),
    );
  });

  test('a delta returns new and updated rows (full selected columns) then $deletedEntity rows', async () => {
    const initial = await readAll('contacts?$select=fullname,jobtitle');
    const [first, second] = initial.rows;
    await ctx.request('PATCH', `contacts(${first.contactid})`, {
      body: { jobtitle: 'Changed' },
      headers: { 'If-Match': '*' },
      token: adminToken,
    });
    await ctx.request('DELETE', `contacts(${second.contactid})`, { token: adminToken });
    const created = await ctx.request('POST', 'contacts?$select=fullname', {
      body: { firstname: 'New', lastname: 'Row' },
      headers: { Prefer: 'return=representation' },
    });
    const temporary = await ctx.request('POST', 'contacts?$select=fullname', {
      body: { lastname: 'Temp' },
      headers: { Prefer: 'return=representation' },
    });
    await ctx.request('DELETE', `contacts(${temporary.json.contactid})`);

    const delta = await ctx.request('GET', initial.deltaLink, { headers: track });
    assert.equal(delta.status, 200);
    assert.equal(delta.json['@odata.context'], `${ctx.api}$metadata#contacts(fullname,jobtitle)/$delta`);
    const value = delta.json.value as any[];
    assert.equal(value.length, 4);
    assert.deepEqual(Object.keys(value[0]).sort(), ['@odata.etag', 'contactid', 'fullname', 'jobtitle']);
    assert.equal(value[0].contactid, first.contactid);
    assert.equal(value[0].jobtitle, 'Changed');
    assert.equal(value[1].contactid, created.json.contactid);
    const deletedContext = `${ctx.api}$metadata#contacts/$deletedEntity`;
    assert.deepEqual(value[2], { '@odata.context': deletedContext, id: second.contactid, reason: 'deleted' });
    assert.deepEqual(
      value[3],
      { '@odata.context': deletedContext, id: temporary.json.contactid, reason: 'deleted' },
      'created and deleted between tokens → deleted',
    );
    const quiet = await ctx.request('GET', delta.json['@odata.deltaLink'], { headers: track });
    assert.deepEqual(quiet.json.value, []);
    assert.ok(quiet.json['@odata.deltaLink']);
  });

  test('large deltas page', async () => {
    const initial = await readAll('accounts?$select=name');
    for (const row of initial.rows)
      await ctx.request('PATCH', `accounts(${row.accountid})`, {
        body: { name: `${row.name} v2` },
        headers: { 'If-Match': '*' },
      });
    await ctx.request('DELETE', `accounts(${initial.rows[0].accountid})`);
    const delta = await readAll(initial.deltaLink, 2);
    assert.equal(delta.pages, 2);
    assert.equal(delta.rows.filter((r) => r.reason === 'deleted').length, 1);
    assert.equal(delta.rows.filter((r) => r.name?.endsWith(' v2')).length, initial.rows.length - 1);
  });

  test('$filter/$orderby/$top are rejected under tracking', async () => {
    for (const option of ['$filter=statecode eq 0', '$orderby=fullname', '$top=3']) {
      const response = await ctx.request('GET', `contacts?$select=fullname&${option}`, { headers: track });
      assert.equal(response.status, 400, option);
      assert.match(
        errorOf(response).message,
        /query parameter isn't supported when Change Tracking is enabled\.$/,
      );
    }
  });

  test('expired delta tokens → 400 0x80044352 (B2.5)', async () => {
    const initial = await readAll('leads?$select=fullname');
    const expire = await ctx.request('POST', '/_emulator/expire-delta-tokens', {
      body: { entity: 'lead' },
      token: adminToken,
    });
    assert.equal(expire.status, 200);
    const expired = await ctx.request('GET', initial.deltaLink, { headers: track });
    assert.equal(expired.status, 400);
    assert.deepEqual(errorOf(expired), {
      code: '0x80044352',
      message: 'Version stamp associated with the client has expired. Please perform a full sync.',
    });
    const fresh = await readAll('leads?$select=fullname');
    assert.equal(
      (await ctx.request('GET', fresh.deltaLink, { headers: track })).status,
      200,
      'a new full sync gets a valid token',
    );
    const bogus = await ctx.request('GET', 'leads?$select=fullname&$deltatoken=nonsense', { headers: track });
    assert.equal(bogus.status, 400);
  });
});
