import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import { emulatorFixtures as f } from '../../src/emulator/emulator-fixtures.ts';
import { adminToken, openEmulator, syncToken, type EmulatorContext } from './emulator-test-context.ts';

/**
 * The npm client `dynamics-web-api`, unchanged, against the emulator (issue 2 acceptance 2): if it works
 * here, the emulator speaks the protocol real clients expect (link rebasing, ETags, 412/404 mapping…).
 */
describe('dynamics-web-api against the emulator', () => {
  let ctx: EmulatorContext;
  let client: DynamicsWebApi;
  let admin: DynamicsWebApi;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 25, accounts: 4, leads: 3 });
    const connect = (token: string) =>
      new DynamicsWebApi({
        serverUrl: ctx.emulator.url,
        dataApi: { version: '9.2' },
        onTokenRefresh: async () => token,
      });
    client = connect(syncToken);
    admin = connect(adminToken);
  });
  after(() => ctx.close());

  test('create and retrieve (dates revived without milliseconds)', async () => {
    const id = await client.create<any>({
      collection: 'contacts',
      data: { firstname: 'Grace', lastname: 'Hopper', emailaddress1: 'grace@example.net' },
    });
    assert.match(String(id), /^[0-9a-f-]{36}$/);
    const record = await client.retrieve({
      collection: 'contacts',
      key: id,
      select: ['fullname', 'createdon'],
    });
    assert.equal(record.fullname, 'Grace Hopper');
    assert.ok(record.createdon instanceof Date, 'ISO dates without ms are revived to Date');
  });

  test('retrieveMultiple pages and retrieveAll follows every nextLink', async () => {
    const first = await client.retrieveMultiple({
      collection: 'contacts',
      select: ['fullname'],
      maxPageSize: 10,
    });
    assert.equal(first.value.length, 10);
    assert.ok(first.oDataNextLink);
    const second = await client.retrieveMultiple(
      { collection: 'contacts', select: ['fullname'], maxPageSize: 10 },
      first.oDataNextLink,
    );
    assert.equal(second.value.length, 10);
    assert.notEqual(second.value[0].contactid, first.value[0].contactid);
    const all = await client.retrieveAll({ collection: 'contacts', select: ['fullname'], maxPageSize: 10 });
    const total = Number(await client.count({ collection: 'contacts' }));
    assert.equal(all.value.length, total);
    assert.equal(new Set(all.value.map((c: any) => c.contactid)).size, total);
  });

  test('trackChanges: initial load over several pages, then a delta with updates and deletes', async () => {
    const initial = await client.retrieveAll({
      collection: 'contacts',
      select: ['fullname', 'jobtitle'],
      trackChanges: true,
      maxPageSize: 10,
    });
    assert.ok(initial.oDataDeltaLink, 'delta link from the last page');
    const [changed, removed] = initial.value;
    await admin.update({ collection: 'contacts', key: changed.contactid, data: { jobtitle: 'Admiral' } });
    await admin.deleteRecord({ collection: 'contacts', key: removed.contactid });
    const delta = await client.retrieveMultiple(
      { collection: 'contacts', select: ['fullname', 'jobtitle'], trackChanges: true },
      initial.oDataDeltaLink,
    );
    assert.equal(delta.value.length, 2);
    assert.equal(delta.value[0].contactid, changed.contactid);
    assert.equal(delta.value[0].jobtitle, 'Admiral');
    assert.equal(delta.value[1].id, removed.contactid);
    assert.equal(delta.value[1].reason, 'deleted');
    assert.ok(delta.oDataDeltaLink);
  });

  test('upsert with ifnonematch (prevent update → null) and ifmatch (prevent create → null)', async () => {
    const created = await client.upsert({
      collection: 'contacts',
      key: "new_externalid='UPSERT-1'",
      data: { lastname: 'Upsert' },
      ifnonematch: '*',
    });
    assert.notEqual(created, null);
    const preventedUpdate = await client.upsert({
      collection: 'contacts',
      key: "new_externalid='UPSERT-1'",
      data: { lastname: 'Again' },
      ifnonematch: '*',
    });
    assert.equal(preventedUpdate, null);
    const preventedCreate = await client.upsert({
      collection: 'contacts',
      key: '00000000-0000-4000-8000-0000000000ff',
      data: { lastname: 'Nobody' },
      ifmatch: '*',
    });
    assert.equal(preventedCreate, null);
    const updated = await client.upsert({
      collection: 'contacts',
      key: "new_externalid='UPSERT-1'",
      data: { jobtitle: 'Tester' },
      returnRepresentation: true,
      select: ['jobtitle'],
    });
    assert.equal(updated.jobtitle, 'Tester');
  });

  test('update with a stale ETag → false; with the current ETag → true', async () => {
    const id = await client.create<any>({
      collection: 'leads',
      data: { lastname: 'Etag', subject: 'Concurrency' },
    });
    const record = await client.retrieve({ collection: 'leads', key: id, select: ['subject'] });
    const etag = record['@odata.etag'];
    assert.equal(
      await client.update<any>({ collection: 'leads', key: id, data: { subject: 'v2' }, ifmatch: etag }),
      true,
    );
    assert.equal(
      await client.update<any>({ collection: 'leads', key: id, data: { subject: 'v3' }, ifmatch: etag }),
      false,
    );
  });

  test('retrieveAttributes with a Picklist cast and OptionSet expansion', async () => {
    const attributes = await client.retrieveAttributes({
      entityKey: "LogicalName='contact'",
      castType: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
      select: ['LogicalName'],
      expand: [{ property: 'OptionSet', select: ['Options'] }],
    });
    const tier = attributes.value.find((a: any) => a.LogicalName === 'new_tier');
    assert.deepEqual(
      tier.OptionSet.Options.map((o: any) => o.Label.UserLocalizedLabel.Label),
      ['Bronze', 'Silver', 'Gold', 'Platinum'],
    );
  });

  test("callFunction('WhoAmI') identifies the sync user", async () => {
    const who = await client.callFunction('WhoAmI');
    assert.equal(who.UserId, f.syncUserId);
    assert.equal(who.OrganizationId, f.organizationId);
  });

  test('errors arrive with status, code and message', async () => {
    await assert.rejects(
      client.retrieve({ collection: 'contacts', key: '00000000-0000-4000-8000-0000000000aa' }),
      (error: any) =>
        error.status === 404 && error.code === '0x80040217' && /Does Not Exist/.test(error.message),
    );
  });
  test('In with single-quoted values, $expand (single- and collection-valued) and $ref through the client (issue 16 item 9)', async () => {
    const accountId = await admin.create<any>({ collection: 'accounts', data: { name: 'Expand Co' } });
    const made: string[] = [];
    for (const lastname of ["Zy'Hara", 'Zyquinn']) {
      made.push(
        await admin.create<any>({
          collection: 'contacts',
          data: { lastname, 'parentcustomerid_account@odata.bind': `accounts(${accountId})` },
        }),
      );
    }
    const found = await client.retrieveMultiple({
      collection: 'contacts',
      select: ['lastname'],
      filter: `Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=['Zyquinn',"Zy'Hara"])`,
    });
    assert.deepEqual(found.value.map((c: any) => c.lastname).sort(), ["Zy'Hara", 'Zyquinn']);

    const withContacts = await client.retrieve({
      collection: 'accounts',
      key: accountId,
      select: ['name'],
      expand: [{ property: 'contact_customer_accounts', select: ['lastname'], top: 5 }],
    });
    assert.deepEqual(withContacts.contact_customer_accounts.map((c: any) => c.lastname).sort(), [
      "Zy'Hara",
      'Zyquinn',
    ]);
    const withParent = await client.retrieveMultiple({
      collection: 'contacts',
      select: ['lastname'],
      filter: `lastname eq 'Zyquinn'`,
      expand: [{ property: 'parentcustomerid_account', select: ['name'] }],
    });
    assert.equal(withParent.value[0].parentcustomerid_account.name, 'Expand Co');

    await admin.associateSingleValued({
      collection: 'accounts',
      primaryKey: accountId,
      navigationProperty: 'primarycontactid',
      relatedCollection: 'contacts',
      relatedKey: made[1],
    });
    const linked = await client.retrieve({
      collection: 'accounts',
      key: accountId,
      select: ['_primarycontactid_value'],
    });
    assert.equal(linked._primarycontactid_value, made[1]);
    await admin.disassociateSingleValued({
      collection: 'accounts',
      primaryKey: accountId,
      navigationProperty: 'primarycontactid',
    });
    const cleared = await client.retrieve({
      collection: 'accounts',
      key: accountId,
      select: ['_primarycontactid_value'],
    });
    assert.equal(cleared._primarycontactid_value, null);
  });
});
