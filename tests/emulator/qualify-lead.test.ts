import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamicsWebApi } from 'dynamics-web-api';
import { emulatorFixtures as f } from '../../src/emulator/emulator-fixtures.ts';
import {
  errorOf,
  openEmulator,
  syncToken,
  type EmulatorContext,
  initialDeltaLink,
} from './emulator-test-context.ts';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const qualify = (id: string) => `leads(${id})/Microsoft.Dynamics.CRM.QualifyLead`;
const everything = { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 };

describe('emulator QualifyLead (reference §10, B3.4)', () => {
  let ctx: EmulatorContext;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 10, accounts: 3, leads: 3 });
  });
  after(() => ctx.close());

  const createLead = async (values: Record<string, unknown>): Promise<string> => {
    const created = await ctx.request('POST', 'leads?$select=leadid', {
      body: values,
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(created.status, 201, created.text);
    return created.json.leadid;
  };
  const fullLead = (suffix: string) => ({
    subject: `Wants ${suffix}`,
    firstname: 'Quinn',
    lastname: `Qualify ${suffix}`,
    emailaddress1: `quinn.${suffix}@example.net`,
    telephone1: '+1-555-0100',
    mobilephone: '+1-555-0101',
    jobtitle: 'Buyer',
    address1_city: 'Lisbon',
    address1_country: 'Portugal',
    description: 'Met at the fair',
    leadsourcecode: 7,
    companyname: `Qualified Co ${suffix}`,
    new_tier: 100000002,
    new_externalid: `EXT-${suffix}`,
  });

  test('B3.4: creates account, contact and opportunity from the mapped lead columns and qualifies the lead', async () => {
    const leadId = await createLead(fullLead('a'));
    const result = await ctx.request('POST', qualify(leadId), { body: everything });
    assert.equal(result.status, 200, result.text);
    assert.equal(
      result.json['@odata.context'],
      `${ctx.api}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)`,
    );
    const types = result.json.value.map((v: any) => v['@odata.type']);
    assert.deepEqual(types, [
      '#Microsoft.Dynamics.CRM.account',
      '#Microsoft.Dynamics.CRM.contact',
      '#Microsoft.Dynamics.CRM.opportunity',
    ]);
    const [{ accountid }, { contactid }, { opportunityid }] = result.json.value;
    for (const id of [accountid, contactid, opportunityid]) assert.match(id, guid);

    const contact = await ctx.request(
      'GET',
      `contacts(${contactid})?$select=firstname,lastname,emailaddress1,telephone1,mobilephone,jobtitle,address1_city,address1_country,description,leadsourcecode,new_tier,new_externalid,_originatingleadid_value,_parentcustomerid_value,_ownerid_value,statecode`,
    );
    assert.equal(contact.status, 200, contact.text);
    const source: Record<string, unknown> = fullLead('a');
    const mappedNames = ['firstname', 'lastname', 'emailaddress1', 'telephone1', 'mobilephone', 'jobtitle'];
    mappedNames.push('address1_city', 'address1_country', 'description', 'leadsourcecode', 'new_tier');
    for (const name of mappedNames)
      assert.equal(contact.json[name], source[name], `${name} is mapped from the lead`);
    assert.equal(contact.json.new_externalid, null, 'the external id (a key) is not mapped');
    assert.equal(contact.json._originatingleadid_value, leadId);
    assert.equal(
      contact.json._parentcustomerid_value,
      accountid,
      'the new contact belongs to the new account',
    );
    assert.equal(contact.json._ownerid_value, f.syncUserId, 'owned by the caller');
    assert.equal(contact.json.statecode, 0);

    const account = await ctx.request(
      'GET',
      `accounts(${accountid})?$select=name,telephone1,address1_city,_originatingleadid_value,_primarycontactid_value`,
    );
    assert.equal(account.json.name, 'Qualified Co a');
    assert.equal(account.json.address1_city, 'Lisbon');
    assert.equal(account.json._originatingleadid_value, leadId);
    assert.equal(account.json._primarycontactid_value, contactid);

    const opportunity = await ctx.request(
      'GET',
      `opportunities(${opportunityid})?$select=name,_customerid_value,_parentcontactid_value,_parentaccountid_value,_originatingleadid_value,_transactioncurrencyid_value`,
      { headers: { Prefer: 'odata.include-annotations="*"' } },
    );
    assert.equal(opportunity.json.name, 'Wants a');
    assert.equal(opportunity.json._customerid_value, accountid);
    assert.equal(opportunity.json['_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'account');
    assert.equal(opportunity.json._parentcontactid_value, contactid);
    assert.equal(opportunity.json._parentaccountid_value, accountid);
    assert.equal(opportunity.json._originatingleadid_value, leadId);
    assert.equal(opportunity.json._transactioncurrencyid_value, f.usdCurrencyId);

    const lead = await ctx.request('GET', `leads(${leadId})?$select=statecode,statuscode`);
    assert.equal(lead.json.statecode, 1, 'Qualified');
    assert.equal(lead.json.statuscode, 3);
  });

  test('creates only what is asked; no company name → no account; the contact alone gets no parent', async () => {
    const { companyname: _ignored, ...withoutCompany } = fullLead('b');
    const leadId = await createLead(withoutCompany);
    const result = await ctx.request('POST', qualify(leadId), {
      body: { CreateAccount: true, CreateContact: true, CreateOpportunity: false },
    });
    assert.equal(result.status, 200, result.text);
    assert.equal(result.json.value.length, 1);
    assert.equal(result.json.value[0]['@odata.type'], '#Microsoft.Dynamics.CRM.contact');
    const contact = await ctx.request(
      'GET',
      `contacts(${result.json.value[0].contactid})?$select=_parentcustomerid_value`,
    );
    assert.equal(contact.json._parentcustomerid_value, null);
    const lead = await ctx.request('GET', `leads(${leadId})?$select=statecode,statuscode`);
    assert.deepEqual([lead.json.statecode, lead.json.statuscode], [1, 3], 'Status defaults to 3');
  });

  test('an opportunity for an existing customer (OpportunityCustomerId) and currency (OpportunityCurrencyId)', async () => {
    const leadId = await createLead(fullLead('c'));
    const customer = await ctx.request('POST', 'contacts?$select=contactid', {
      body: { lastname: 'Existing customer' },
      headers: { Prefer: 'return=representation' },
    });
    const result = await ctx.request('POST', qualify(leadId), {
      body: {
        CreateAccount: false,
        CreateContact: false,
        CreateOpportunity: true,
        Status: 3,
        OpportunityCustomerId: {
          '@odata.type': 'Microsoft.Dynamics.CRM.contact',
          contactid: customer.json.contactid,
        },
        OpportunityCurrencyId: {
          '@odata.type': 'Microsoft.Dynamics.CRM.transactioncurrency',
          transactioncurrencyid: f.usdCurrencyId,
        },
        SourceCampaignId: {
          '@odata.type': 'Microsoft.Dynamics.CRM.campaign',
          campaignid: '00000000-0000-4000-8000-00000000ca11',
        },
      },
    });
    assert.equal(result.status, 200, result.text);
    assert.equal(result.json.value.length, 1);
    const opportunity = await ctx.request(
      'GET',
      `opportunities(${result.json.value[0].opportunityid})?$select=_customerid_value`,
      { headers: { Prefer: 'odata.include-annotations="*"' } },
    );
    assert.equal(opportunity.json._customerid_value, customer.json.contactid);
    assert.equal(opportunity.json['_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname'], 'contact');
  });

  test('errors: unknown lead 404, already qualified 400, missing and mistyped parameters 400, GET 405', async () => {
    const missingLead = await ctx.request('POST', qualify('00000000-0000-4000-8000-000000000404'), {
      body: everything,
    });
    assert.equal(missingLead.status, 404);
    assert.equal(errorOf(missingLead).code, '0x80040217');
    assert.equal(
      errorOf(missingLead).message,
      'lead With Id = 00000000-0000-4000-8000-000000000404 Does Not Exist',
    );

    const leadId = await createLead(fullLead('d'));
    const missing = await ctx.request('POST', qualify(leadId), { body: { CreateAccount: false } });
    assert.equal(missing.status, 400);
    assert.equal(errorOf(missing).code, '0x80048d19');
    assert.equal(
      errorOf(missing).message,
      "One or more parameters of the operation 'QualifyLead' are missing from the request payload. " +
        'The missing parameters are: CreateContact, CreateOpportunity.',
    );
    const mistyped = await ctx.request('POST', qualify(leadId), {
      body: { ...everything, CreateContact: 'yes' },
    });
    assert.equal(mistyped.status, 400);
    assert.match(errorOf(mistyped).message, /'yes'.*'CreateContact'.*'Edm\.Boolean'/);
    const unknown = await ctx.request('POST', qualify(leadId), { body: { ...everything, Bogus: 1 } });
    assert.equal(unknown.status, 400);
    assert.match(
      errorOf(unknown).message,
      /'Bogus' .* not a valid parameter for the operation 'QualifyLead'/,
    );
    const untyped = await ctx.request('POST', qualify(leadId), {
      body: { ...everything, OpportunityCustomerId: { contactid: leadId } },
    });
    assert.equal(untyped.status, 400);
    assert.match(errorOf(untyped).message, /needs an '@odata\.type'/);
    const wrongCustomer = await ctx.request('POST', qualify(leadId), {
      body: {
        ...everything,
        OpportunityCustomerId: { '@odata.type': 'Microsoft.Dynamics.CRM.lead', leadid: leadId },
      },
    });
    assert.equal(wrongCustomer.status, 400);
    const absentCustomer = await ctx.request('POST', qualify(leadId), {
      body: {
        ...everything,
        OpportunityCustomerId: {
          '@odata.type': 'Microsoft.Dynamics.CRM.account',
          accountid: '00000000-0000-4000-8000-0000000000ac',
        },
      },
    });
    assert.equal(absentCustomer.status, 404);
    const malformed = await ctx.request('POST', qualify(leadId), { body: '{"CreateAccount":' });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).code, '0x80048d19');
    const get = await ctx.request('GET', qualify(leadId));
    assert.equal(get.status, 405);

    const done = await ctx.request('POST', qualify(leadId), { body: everything });
    assert.equal(done.status, 200, done.text);
    const again = await ctx.request('POST', qualify(leadId), { body: everything });
    assert.equal(again.status, 400);
    assert.equal(
      errorOf(again).message,
      'The lead is closed. You cannot convert or qualify a lead that is already closed.',
    );
  });

  test('a failure part-way (Status not a Qualified status) leaves nothing behind', async () => {
    const leadId = await createLead(fullLead('e'));
    const result = await ctx.request('POST', qualify(leadId), { body: { ...everything, Status: 1 } });
    assert.equal(result.status, 400);
    assert.equal(errorOf(result).code, '0x8004431A');
    assert.match(errorOf(result).message, /1 is not a valid status code for state code LeadState\.Qualified/);
    for (const set of ['contacts', 'accounts', 'opportunities']) {
      const created = await ctx.request('GET', `${set}?$filter=_originatingleadid_value eq ${leadId}`);
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(created.json.value, [], `no ${set} remain`);
    }
    const lead = await ctx.request('GET', `leads(${leadId})?$select=statecode`);
    assert.equal(lead.json.statecode, 0, 'the lead is still open');
  });

  test('B2.3: the qualified lead and the new contact appear in change tracking', async () => {
    const leadId = await createLead(fullLead('f'));
    const leadsDelta = await initialDeltaLink(ctx, 'leads', 'statecode,statuscode');
    const contactsDelta = await initialDeltaLink(ctx, 'contacts', 'lastname,_originatingleadid_value');
    const result = await ctx.request('POST', qualify(leadId), {
      body: { CreateAccount: false, CreateContact: true, CreateOpportunity: false },
    });
    assert.equal(result.status, 200, result.text);
    const leads = await ctx.request('GET', leadsDelta);
    assert.deepEqual(
      leads.json.value.map((r: any) => [r.leadid, r.statecode, r.statuscode]),
      [[leadId, 1, 3]],
    );
    const contacts = await ctx.request('GET', contactsDelta);
    assert.deepEqual(
      contacts.json.value.map((r: any) => [r.contactid, r._originatingleadid_value]),
      [[result.json.value[0].contactid, leadId]],
    );
  });

  test('inside a $batch changeset: $1 addresses the lead created before; a later failure rolls it all back', async () => {
    const changeset = (parts: string[]) =>
      [
        '--batch_q',
        'Content-Type: multipart/mixed; boundary=cs_q',
        '',
        ...parts.flatMap((part, i) => [
          '--cs_q',
          'Content-Type: application/http',
          'Content-Transfer-Encoding: binary',
          `Content-ID: ${i + 1}`,
          '',
          part,
        ]),
        '--cs_q--',
        '--batch_q--',
        '',
      ].join('\r\n');
    const post = (url: string, body: unknown) =>
      `POST ${url} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(body)}`;
    const send = async (text: string) => {
      const response = await fetch(`${ctx.api}$batch`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${syncToken}`,
          'Content-Type': 'multipart/mixed; boundary=batch_q',
        },
        body: text,
      });
      return { status: response.status, text: await response.text() };
    };
    const ok = await send(
      changeset([
        post('/api/data/v9.2/leads', { lastname: 'Batch qualify', subject: 'Batch' }),
        post('$1/Microsoft.Dynamics.CRM.QualifyLead', {
          CreateAccount: false,
          CreateContact: true,
          CreateOpportunity: false,
        }),
      ]),
    );
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /HTTP\/1\.1 200 OK/);
    assert.match(ok.text, /#Microsoft\.Dynamics\.CRM\.contact/);
    const qualified = await ctx.request('GET', `leads?$select=statecode&$filter=lastname eq 'Batch qualify'`);
    assert.deepEqual(
      qualified.json.value.map((r: any) => r.statecode),
      [1],
    );

    const failing = await send(
      changeset([
        post('/api/data/v9.2/leads', { lastname: 'Batch rollback', subject: 'Batch' }),
        post('$1/Microsoft.Dynamics.CRM.QualifyLead', {
          CreateAccount: false,
          CreateContact: true,
          CreateOpportunity: false,
        }),
        post('/api/data/v9.2/contacts', { lastname: 'x'.repeat(500) }),
      ]),
    );
    assert.equal(failing.status, 400, 'a failed changeset fails the batch (reference §4)');
    assert.match(failing.text, /0x80044331/);
    const leads = await ctx.request('GET', `leads?$select=leadid&$filter=lastname eq 'Batch rollback'`);
    assert.deepEqual(leads.json.value, [], 'the lead was rolled back');
    const contacts = await ctx.request(
      'GET',
      `contacts?$select=contactid&$filter=lastname eq 'Batch rollback'`,
    );
    assert.deepEqual(contacts.json.value, [], 'and so was the contact QualifyLead created');
  });

  test('$metadata declares the QualifyLead and Merge actions', async () => {
    const csdl = await ctx.request('GET', '$metadata');
    assert.match(
      csdl.text,
      /<Action Name="QualifyLead" IsBound="true"><Parameter Name="entity" Type="mscrm\.lead"/,
    );
    assert.match(csdl.text, /<ActionImport Name="Merge" Action="Microsoft\.Dynamics\.CRM\.Merge"\/>/);
  });

  test('dynamics-web-api callAction runs QualifyLead unchanged', async () => {
    const client = new DynamicsWebApi({
      serverUrl: ctx.emulator.url,
      dataApi: { version: '9.2' },
      onTokenRefresh: async () => syncToken,
    });
    const leadId = await createLead(fullLead('g'));
    const response = await client.callAction<{ value: Record<string, string>[] }>({
      actionName: 'Microsoft.Dynamics.CRM.QualifyLead',
      collection: 'leads',
      key: leadId,
      action: { CreateAccount: false, CreateContact: true, CreateOpportunity: false, Status: 3 },
    });
    assert.equal(response.value.length, 1);
    assert.equal(response.value[0]['@odata.type'], '#Microsoft.Dynamics.CRM.contact');
    const contact = await client.retrieve({
      collection: 'contacts',
      key: response.value[0].contactid,
      select: ['_originatingleadid_value'],
    });
    assert.equal(contact._originatingleadid_value, leadId);
  });
});
