import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import {
  adminToken,
  errorOf,
  openEmulator,
  syncToken,
  type EmulatorContext,
} from './emulator-test-context.ts';

const contactType = 'Microsoft.Dynamics.CRM.contact';
const updateMultiple = 'contacts/Microsoft.Dynamics.CRM.UpdateMultiple';
const createMultiple = 'contacts/Microsoft.Dynamics.CRM.CreateMultiple';

/**
 * Bulk messages as bound actions (performance anchors §2.1 "Bulk messages"): CreateMultiple and
 * UpdateMultiple, all-or-nothing on standard tables, per-target `@odata.etag` (when honoured; the switches are
 * tested in bulk-switches.test.ts), charged once per request.
 */
describe('emulator bulk messages: CreateMultiple, UpdateMultiple', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 20, accounts: 3, leads: 2 });
  });
  after(() => ctx.close());

  async function newContacts(count: number, prefix: string): Promise<string[]> {
    const targets = Array.from({ length: count }, (_, i) => ({
      '@odata.type': contactType,
      firstname: `${prefix}${i}`,
      lastname: 'Bulk',
    }));
    const created = await ctx.request('POST', createMultiple, { body: { Targets: targets } });
    assert.equal(created.status, 200, created.text);
    return created.json.Ids;
  }

  async function contact(id: string): Promise<any> {
    const got = await ctx.request('GET', `contacts(${id})?$select=firstname,jobtitle`);
    assert.equal(got.status, 200, got.text);
    return got.json;
  }

  test('CreateMultiple → 200 with CreateMultipleResponse Ids, in order; client ids honoured', async () => {
    const ownId = '21212121-3434-4545-8656-787878787878';
    const created = await ctx.request('POST', createMultiple, {
      body: {
        Targets: [
          { '@odata.type': contactType, firstname: 'One', lastname: 'C' },
          { '@odata.type': contactType, contactid: ownId, firstname: 'Two', lastname: 'C' },
        ],
      },
    });
    assert.equal(created.status, 200, created.text);
    assert.equal(
      created.json['@odata.context'],
      `${ctx.api}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse`,
    );
    assert.equal(created.json.Ids.length, 2);
    assert.equal(created.json.Ids[1], ownId);
    assert.equal((await contact(created.json.Ids[0])).firstname, 'One');
    assert.equal((await contact(ownId)).firstname, 'Two');
  });

  test('UpdateMultiple → 204, every target updated with a new version', async () => {
    const ids = await newContacts(3, 'U');
    const before = await Promise.all(ids.map(contact));
    const updated = await ctx.request('POST', updateMultiple, {
      body: {
        Targets: ids.map((id, i) => ({ '@odata.type': contactType, contactid: id, jobtitle: `Job ${i}` })),
      },
    });
    assert.equal(updated.status, 204, updated.text);
    assert.equal(updated.text, '');
    for (const [i, id] of ids.entries()) {
      const after = await contact(id);
      assert.equal(after.jobtitle, `Job ${i}`);
      assert.equal(after.firstname, `U${i}`, 'columns not in the target are kept');
      assert.notEqual(after['@odata.etag'], before[i]['@odata.etag']);
    }
  });

  test('one bad target (too long) rolls the whole UpdateMultiple back and answers its error', async () => {
    const ids = await newContacts(3, 'R');
    const targets = ids.map((id) => ({ '@odata.type': contactType, contactid: id, jobtitle: 'Changed' }));
    (targets[1] as Record<string, unknown>).firstname = 'x'.repeat(5000);
    const failed = await ctx.request('POST', updateMultiple, { body: { Targets: targets } });
    assert.equal(failed.status, 400);
    assert.equal(errorOf(failed).code, '0x80044331');
    for (const id of ids) assert.equal((await contact(id)).jobtitle, null, 'nothing was written');
  });

  test('a plug-in rule failing on one target rolls back the CreateMultiple (no record created)', async () => {
    const rules = await ctx.request('PUT', '/_emulator/rules', {
      token: adminToken,
      body: [
        {
          entity: 'contact',
          attribute: 'jobtitle',
          on: 'create',
          check: 'forbidden',
          value: 'Spy',
          message: 'No spies.',
        },
      ],
    });
    assert.equal(rules.status, 200, rules.text);
    try {
      const failed = await ctx.request('POST', createMultiple, {
        body: {
          Targets: [
            { '@odata.type': contactType, firstname: 'Kept', lastname: 'Out' },
            { '@odata.type': contactType, firstname: 'Bad', lastname: 'Out', jobtitle: 'Spy' },
          ],
        },
      });
      assert.equal(failed.status, 400);
      assert.deepEqual(errorOf(failed), { code: '0x80040265', message: 'No spies.' });
      const found = await ctx.request('GET', `contacts?$select=firstname&$filter=lastname eq 'Out'`);
      assert.deepEqual(found.json.value, [], 'the valid target was rolled back too');
    } finally {
      await ctx.request('PUT', '/_emulator/rules', { token: adminToken, body: [] });
    }
  });

  test('etags honoured: a target with a stale @odata.etag → 412 0x80060882 for the whole request; current etags → 204', async () => {
    const switched = await ctx.request('PUT', '/_emulator/bulk', {
      token: adminToken,
      body: { etags: 'honoured' },
    });
    assert.equal(switched.status, 200, switched.text);
    try {
      const ids = await newContacts(2, 'E');
      const [first, second] = await Promise.all(ids.map(contact));
      // Someone else changes the second record after we read it.
      const other = await ctx.request('PATCH', `contacts(${ids[1]})`, {
        body: { jobtitle: 'Theirs' },
        headers: { 'If-Match': '*' },
      });
      assert.equal(other.status, 204);
      const stale = await ctx.request('POST', updateMultiple, {
        body: {
          Targets: [
            {
              '@odata.type': contactType,
              contactid: ids[0],
              '@odata.etag': first['@odata.etag'],
              jobtitle: 'Ours',
            },
            {
              '@odata.type': contactType,
              contactid: ids[1],
              '@odata.etag': second['@odata.etag'],
              jobtitle: 'Ours',
            },
          ],
        },
      });
      assert.equal(stale.status, 412);
      assert.equal(errorOf(stale).code, '0x80060882');
      assert.equal(
        (await contact(ids[0])).jobtitle,
        null,
        'the record with a current etag was rolled back too',
      );
      assert.equal((await contact(ids[1])).jobtitle, 'Theirs');
      const fresh = await contact(ids[1]);
      const ok = await ctx.request('POST', updateMultiple, {
        body: {
          Targets: [
            {
              '@odata.type': contactType,
              contactid: ids[0],
              '@odata.etag': first['@odata.etag'],
              jobtitle: 'Ours',
            },
            {
              '@odata.type': contactType,
              contactid: ids[1],
              '@odata.etag': fresh['@odata.etag'],
              jobtitle: 'Ours',
            },
          ],
        },
      });
      assert.equal(ok.status, 204, ok.text);
      assert.equal((await contact(ids[1])).jobtitle, 'Ours');
    } finally {
      await ctx.request('PUT', '/_emulator/bulk', { token: adminToken, body: {} });
    }
  });

  test('missing record → 404; missing key, wrong @odata.type, no Targets → 400; GET → 405', async () => {
    const [id] = await newContacts(1, 'M');
    const missing = await ctx.request('POST', updateMultiple, {
      body: {
        Targets: [
          { '@odata.type': contactType, contactid: id, jobtitle: 'x' },
          { '@odata.type': contactType, contactid: '00000000-0000-4000-8000-0000000000aa', jobtitle: 'x' },
        ],
      },
    });
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing).code, '0x80040217');
    assert.equal((await contact(id)).jobtitle, null);
    const noKey = await ctx.request('POST', updateMultiple, {
      body: { Targets: [{ '@odata.type': contactType, jobtitle: 'x' }] },
    });
    assert.equal(noKey.status, 400);
    assert.equal(errorOf(noKey).code, '0x80040203');
    const wrongType = await ctx.request('POST', updateMultiple, {
      body: { Targets: [{ '@odata.type': 'Microsoft.Dynamics.CRM.lead', contactid: id }] },
    });
    assert.equal(wrongType.status, 400);
    const noTargets = await ctx.request('POST', updateMultiple, { body: {} });
    assert.equal(noTargets.status, 400);
    assert.equal((await ctx.request('GET', updateMultiple)).status, 405);
  });

  test('lookups by @odata.bind are resolved per target; an unknown lookup target fails the request', async () => {
    const accounts = await ctx.request('GET', 'accounts?$select=accountid&$top=1');
    const accountId = accounts.json.value[0].accountid;
    const ids = await newContacts(2, 'L');
    const ok = await ctx.request('POST', updateMultiple, {
      body: {
        Targets: ids.map((id) => ({
          '@odata.type': contactType,
          contactid: id,
          'parentcustomerid_account@odata.bind': `/accounts(${accountId})`,
        })),
      },
    });
    assert.equal(ok.status, 204, ok.text);
    const got = await ctx.request('GET', `contacts(${ids[0]})?$select=_parentcustomerid_value`);
    assert.equal(got.json._parentcustomerid_value, accountId);
    const bad = await ctx.request('POST', updateMultiple, {
      body: {
        Targets: [
          { '@odata.type': contactType, contactid: ids[0], jobtitle: 'x' },
          {
            '@odata.type': contactType,
            contactid: ids[1],
            'parentcustomerid_account@odata.bind': '/accounts(00000000-0000-4000-8000-0000000000bb)',
          },
        ],
      },
    });
    assert.equal(bad.status, 404);
    assert.equal((await contact(ids[0])).jobtitle, null);
  });

  test('cost model: one msPerRequest plus msPerRecordWrite per target, one request in the window', async () => {
    const ids = await newContacts(4, 'C');
    const limits = await ctx.request('PUT', '/_emulator/limits', {
      token: adminToken,
      body: {
        requestsPerWindow: 1000,
        executionMsPerWindow: 1_000_000,
        windowSeconds: 300,
        msPerRequest: 7,
        msPerRecordWrite: 3,
      },
    });
    assert.equal(limits.status, 200, limits.text);
    try {
      const remaining = async () => {
        const probe = await ctx.request('GET', 'WhoAmI');
        return {
          requests: Number(probe.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests')),
          ms: Number(probe.headers.get('x-ms-ratelimit-time-remaining-xrm-requests')),
        };
      };
      const start = await remaining(); // charged 7 ms after its headers were computed
      const updated = await ctx.request('POST', updateMultiple, {
        body: { Targets: ids.map((id) => ({ '@odata.type': contactType, contactid: id, jobtitle: 'cost' })) },
      });
      assert.equal(updated.status, 204, updated.text);
      const next = await remaining();
      // Between the two probes: the first probe (7) and the UpdateMultiple (7 + 4 × 3 = 19), two requests.
      assert.equal(start.ms - next.ms, 7 + 19);
      assert.equal(start.requests - next.requests, 2);
    } finally {
      await ctx.request('PUT', '/_emulator/limits', { token: adminToken, body: {} });
    }
  });

  test('inside $batch (continue-on-error) an UpdateMultiple part is one inner request, all-or-nothing', async () => {
    const ids = await newContacts(2, 'B');
    const boundary = 'batch_bulk';
    const part = (targets: unknown[]) =>
      [
        `--${boundary}`,
        'Content-Type: application/http',
        'Content-Transfer-Encoding: binary',
        '',
        `POST ${ctx.api}${updateMultiple} HTTP/1.1`,
        'Content-Type: application/json',
        '',
        JSON.stringify({ Targets: targets }),
      ].join('\r\n');
    const body = [
      part(ids.map((id) => ({ '@odata.type': contactType, contactid: id, jobtitle: 'Batched' }))),
      part([
        { '@odata.type': contactType, contactid: ids[0], jobtitle: 'Never' },
        { '@odata.type': contactType, contactid: ids[1], firstname: 'x'.repeat(5000) },
      ]),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    // Raw fetch: the helper would label the body application/json.
    const answer = await fetch(`${ctx.api}$batch`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${syncToken}`,
        'Content-Type': `multipart/mixed; boundary=${boundary}`,
        Prefer: 'odata.continue-on-error',
      },
      body,
    });
    const response = { status: answer.status, text: await answer.text() };
    assert.equal(response.status, 200, response.text);
    const statuses = [...response.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [204, 400]);
    for (const id of ids) assert.equal((await contact(id)).jobtitle, 'Batched');
  });

  test('dynamics-web-api 2.5 has no createMultiple/updateMultiple: its callAction on a collection works', async () => {
    const client = new DynamicsWebApi({
      serverUrl: ctx.emulator.url,
      dataApi: { version: '9.2' },
      onTokenRefresh: async () => syncToken,
    });
    const created = await client.callAction<{ Ids: string[] }>({
      collection: 'contacts',
      actionName: 'Microsoft.Dynamics.CRM.CreateMultiple',
      action: { Targets: [{ '@odata.type': contactType, firstname: 'Client', lastname: 'Made' }] },
    });
    assert.equal(created.Ids.length, 1);
    await client.callAction({
      collection: 'contacts',
      actionName: 'Microsoft.Dynamics.CRM.UpdateMultiple',
      action: {
        Targets: [{ '@odata.type': contactType, contactid: created.Ids[0], jobtitle: 'Via client' }],
      },
    });
    assert.equal((await contact(created.Ids[0])).jobtitle, 'Via client');
  });
});
