import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { startEmulator } from '../../src/emulator/server.ts';
import { adminToken, errorOf, openEmulator, type EmulatorContext } from './emulator-test-context.ts';

/**
 * The bulk-message switches (docs/emulator.md "Bulk messages"): per-target ETags ignored (default) or honoured,
 * and CreateMultiple/UpdateMultiple unavailable on chosen tables — with `sdkmessagefilters` rows that agree, so
 * a client asking "is UpdateMultiple available for X" gets the answer the messages give.
 */

const contactType = 'Microsoft.Dynamics.CRM.contact';
const leadType = 'Microsoft.Dynamics.CRM.lead';

/** Learn's availability query, as the Web API asks it (one hop through the `sdkmessageid` lookup). */
async function filterRows(ctx: EmulatorContext, message: string, entity: string): Promise<number> {
  const filter = encodeURIComponent(
    `primaryobjecttypecode eq '${entity}' and sdkmessageid/name eq '${message}'`,
  );
  const response = await ctx.request('GET', `sdkmessagefilters?$select=sdkmessagefilterid&$filter=${filter}`);
  assert.equal(response.status, 200, response.text);
  return response.json.value.length;
}

describe('emulator bulk switches', () => {
  let ctx: EmulatorContext;
  let contactId: string;
  let leadId: string;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 5, accounts: 1, leads: 3 });
    contactId = (await ctx.request('GET', 'contacts?$select=contactid&$top=1')).json.value[0].contactid;
    leadId = (await ctx.request('GET', 'leads?$select=leadid&$top=1')).json.value[0].leadid;
  });
  after(() => ctx.close());

  const putBulk = (body: unknown, token = adminToken) =>
    ctx.request('PUT', '/_emulator/bulk', { token, body });

  async function staleUpdate(): Promise<{ status: number; jobtitle: string }> {
    const read = await ctx.request('GET', `contacts(${contactId})?$select=jobtitle`);
    const stale = read.json['@odata.etag'];
    // A person edits the record in the CRM after Syncline read it.
    const theirs = await ctx.request('PATCH', `contacts(${contactId})`, {
      token: adminToken,
      body: { jobtitle: 'Theirs' },
      headers: { 'If-Match': stale },
    });
    assert.equal(theirs.status, 204, theirs.text);
    const bulk = await ctx.request('POST', 'contacts/Microsoft.Dynamics.CRM.UpdateMultiple', {
      body: {
        Targets: [
          { '@odata.type': contactType, contactid: contactId, '@odata.etag': stale, jobtitle: 'Ours' },
        ],
      },
    });
    const now = await ctx.request('GET', `contacts(${contactId})?$select=jobtitle`);
    return { status: bulk.status, jobtitle: now.json.jobtitle };
  }

  test('default: ETags ignored — a stale UpdateMultiple target overwrites the newer CRM edit (204)', async () => {
    const settings = await ctx.request('GET', '/_emulator/bulk', { token: adminToken });
    assert.deepEqual(settings.json, { etags: 'ignored', unavailableOn: [] });
    assert.deepEqual(await staleUpdate(), { status: 204, jobtitle: 'Ours' });
  });

  test('etags honoured: the same request → 412 0x80060882 and the CRM edit stays', async () => {
    const switched = await putBulk({ etags: 'honoured' });
    assert.deepEqual(switched.json, { etags: 'honoured', unavailableOn: [] });
    try {
      assert.deepEqual(await staleUpdate(), { status: 412, jobtitle: 'Theirs' });
    } finally {
      await putBulk({});
    }
  });

  test('sdkmessagefilters lists the bulk messages per table; the sync user may ask', async () => {
    assert.equal(await filterRows(ctx, 'UpdateMultiple', 'contact'), 1);
    assert.equal(await filterRows(ctx, 'CreateMultiple', 'lead'), 1);
    assert.equal(await filterRows(ctx, 'UpdateMultiple', 'nosuchtable'), 0);
    const message = await ctx.request(
      'GET',
      `sdkmessages?$select=sdkmessageid&$filter=name eq 'UpdateMultiple'`,
    );
    assert.deepEqual(
      message.json.value.map((row: { sdkmessageid: string }) => row.sdkmessageid),
      [emulatorFixtures.bulkMessageIds.UpdateMultiple],
    );
  });

  test('unavailable on lead: no filter rows, both messages → 400 0x80040800; contact unaffected; switching back restores', async () => {
    const switched = await putBulk({ unavailableOn: ['lead'] });
    assert.equal(switched.status, 200, switched.text);
    try {
      assert.equal(await filterRows(ctx, 'UpdateMultiple', 'lead'), 0);
      assert.equal(await filterRows(ctx, 'CreateMultiple', 'lead'), 0);
      assert.equal(await filterRows(ctx, 'UpdateMultiple', 'contact'), 1);
      assert.equal(await filterRows(ctx, 'Update', 'lead'), 1, 'the single messages stay');
      const update = await ctx.request('POST', 'leads/Microsoft.Dynamics.CRM.UpdateMultiple', {
        body: { Targets: [{ '@odata.type': leadType, leadid: leadId, jobtitle: 'X' }] },
      });
      assert.equal(update.status, 400);
      assert.deepEqual(errorOf(update), {
        code: '0x80040800',
        message:
          "The 'UpdateMultiple' method does not support entities of type 'lead'. MessageProcessorCache returned MessageProcessor.Empty.",
      });
      const create = await ctx.request('POST', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', {
        body: { Targets: [{ '@odata.type': leadType, lastname: 'Never', subject: 'S' }] },
      });
      assert.equal(create.status, 400);
      assert.equal(errorOf(create).code, '0x80040800');
      assert.match(
        errorOf(create).message,
        /'CreateMultiple' method does not support entities of type 'lead'/,
      );
      const unchanged = await ctx.request('GET', `leads(${leadId})?$select=jobtitle`);
      assert.notEqual(unchanged.json.jobtitle, 'X');
      const contacts = await ctx.request('POST', 'contacts/Microsoft.Dynamics.CRM.UpdateMultiple', {
        body: { Targets: [{ '@odata.type': contactType, contactid: contactId, jobtitle: 'Bulk' }] },
      });
      assert.equal(contacts.status, 204, contacts.text);
    } finally {
      await putBulk({});
    }
    assert.equal(await filterRows(ctx, 'UpdateMultiple', 'lead'), 1);
    const again = await ctx.request('POST', 'leads/Microsoft.Dynamics.CRM.UpdateMultiple', {
      body: { Targets: [{ '@odata.type': leadType, leadid: leadId, jobtitle: 'Y' }] },
    });
    assert.equal(again.status, 204, again.text);
  });

  test('the control route checks its body and needs the administrator token', async () => {
    assert.equal((await putBulk({ unavailableOn: ['nosuchtable'] })).status, 400);
    assert.equal((await putBulk({ etags: 'sometimes' })).status, 400);
    assert.equal((await putBulk({}, 'emulator-sync-token')).status, 403);
    assert.deepEqual((await ctx.request('GET', '/_emulator/bulk', { token: adminToken })).json, {
      etags: 'ignored',
      unavailableOn: [],
    });
  });
});

test('startEmulator({ bulk }) sets the switches from the start; a reset keeps them', async () => {
  const emulator = await startEmulator({
    port: 0,
    seed: { seed: 'demo', contacts: 2, leads: 2, accounts: 1 },
    bulk: { etags: 'honoured', unavailableOn: ['contact'] },
  });
  try {
    const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const rows = async () => {
      const filter = encodeURIComponent(
        `primaryobjecttypecode eq 'contact' and sdkmessageid/name eq 'UpdateMultiple'`,
      );
      const response = await fetch(`${emulator.url}/api/data/v9.2/sdkmessagefilters?$filter=${filter}`, {
        headers: admin,
      });
      return ((await response.json()) as { value: unknown[] }).value.length;
    };
    assert.equal(await rows(), 0);
    const reset = await fetch(`${emulator.url}/_emulator/reset`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ seed: 'empty' }),
    });
    assert.equal(reset.status, 200);
    assert.equal(await rows(), 0, 'the reseeded filters follow the kept settings');
    const settings = await fetch(`${emulator.url}/_emulator/bulk`, { headers: admin });
    assert.deepEqual(await settings.json(), { etags: 'honoured', unavailableOn: ['contact'] });
  } finally {
    await emulator.close();
  }
});
