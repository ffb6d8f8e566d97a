import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeKinds } from '../helpers/test-store.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { leadIdForPerson } from '../../src/flows/flow-ids.ts';
import { useFlowWorld, waitFor } from './flow-world.ts';

const salesUser = emulatorFixtures.salesUserIds[0];
const team = emulatorFixtures.salesTeamId;

for (const kind of storeKinds) {
  describe(`Sync Person to Microsoft over HTTP, sync disabled, on ${kind} (B7.1–B7.4)`, () => {
    const run = useFlowWorld(kind);

    test('B7.1 as a lead: the lead has the mapped fields and the team owner when the response returns', () =>
      run(async (world) => {
        const id = await world.createPerson({
          email: 'ada@example.com',
          firstName: 'Ada',
          lastName: 'Lovelace',
          company: 'Analytical Engines',
          leadSource: 'Web',
          city: 'London',
        });
        const response = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'lead',
          ownerId: team,
        });
        assert.equal(response.status, 200, JSON.stringify(response.json));
        assert.deepEqual(response.json, { status: 'created', crmType: 'lead', crmId: leadIdForPerson(id) });

        const [lead] = await world.crmRows(
          'leads',
          `leadid eq ${response.json.crmId}`,
          'firstname,lastname,emailaddress1,companyname,leadsourcecode,address1_city,_ownerid_value',
        );
        assert.equal(lead.firstname, 'Ada');
        assert.equal(lead.lastname, 'Lovelace');
        assert.equal(lead.emailaddress1, 'ada@example.com');
        assert.equal(lead.companyname, 'Analytical Engines');
        assert.equal(lead.leadsourcecode, 8, 'the option label Web as its value');
        assert.equal(lead.address1_city, 'London');
        assert.equal(lead._ownerid_value, team);

        const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(person.crmType, 'lead');
        assert.equal(person.crmLeadId, response.json.crmId);
        assert.equal(person.crmOwnerId, team);
        assert.equal(
          typeof person.crmOwnerName,
          'string',
          'the team name, read from the CRM (mirror is empty)',
        );
        const pushed = (await world.activities(id)).filter((activity) => activity.type === 'crm.pushed');
        assert.equal(pushed.length, 1);
        assert.equal(pushed[0].attributes.crmId, response.json.crmId);

        const status = (await world.api('GET', '/api/v1/sync/status')).json;
        assert.equal(status.enabled, false);
        assert.equal(status.passes.completed, 0, 'no pass ran: the flow action alone wrote the CRM');
        assert.equal(status.flowActions.syncedLastHour, 1);
        assert.equal(status.entities.lead.syncedLastHour, 1);
      }));

    test('B7.1 already linked → already-synced and no CRM write', () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'grace@example.com', lastName: 'Hopper' });
        const path = `/api/v1/persons/${id}/actions/sync-to-crm`;
        const first = await world.api('POST', path, { syncAs: 'lead', ownerId: salesUser });
        assert.equal(first.status, 200);
        const version = await world.crmVersion();
        const again = await world.api('POST', path, { syncAs: 'contact' });
        assert.equal(again.status, 200);
        assert.deepEqual(again.json, {
          status: 'already-synced',
          crmType: 'lead',
          crmId: first.json.crmId,
        });
        assert.equal(await world.crmVersion(), version, 'nothing was written to the CRM');
        const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(person.crmOwnerId, salesUser);
      }));

    test('B7.1 as a contact: a lead qualified into a contact with no account, the person linked to the contact', () =>
      run(async (world) => {
        const id = await world.createPerson({
          email: 'alan@example.com',
          firstName: 'Alan',
          lastName: 'Turing',
          company: 'Bletchley',
          mobilePhone: '+44 1',
        });
        const response = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'contact',
          ownerId: salesUser,
        });
        assert.equal(response.status, 200, JSON.stringify(response.json));
        assert.equal(response.json.status, 'created');
        assert.equal(response.json.crmType, 'contact');
        const leadId = leadIdForPerson(id);

        const contacts = await world.crmRows(
          'contacts',
          `_originatingleadid_value eq ${leadId}`,
          'contactid,firstname,lastname,emailaddress1,mobilephone,_parentcustomerid_value,_ownerid_value',
        );
        assert.equal(contacts.length, 1);
        assert.equal(contacts[0].contactid, response.json.crmId);
        assert.equal(contacts[0].lastname, 'Turing');
        assert.equal(contacts[0].emailaddress1, 'alan@example.com');
        assert.equal(contacts[0].mobilephone, '+44 1');
        assert.equal(contacts[0]._parentcustomerid_value, null, 'no account');
        assert.equal(contacts[0]._ownerid_value, salesUser);
        const [lead] = await world.crmRows('leads', `leadid eq ${leadId}`, 'statecode');
        assert.equal(lead.statecode, 1, 'the lead is qualified');
        assert.equal((await world.crmRows('accounts', `name eq 'Bletchley'`, 'accountid')).length, 0);

        const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(person.crmType, 'contact');
        assert.equal(person.crmContactId, response.json.crmId);
        assert.equal(person.crmLeadId, leadId);
        assert.equal(person.crmAccountId, null);
        assert.equal(person.crmOwnerId, salesUser);
      }));

    test('B3.4, B4.4 after a contact sync, the first pass finds both records linked: no CRM write, no new person', () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'handover@example.com', lastName: 'Handover' });
        const synced = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'contact',
        });
        assert.equal(synced.status, 200);
        const version = await world.crmVersion();
        assert.equal((await world.api('POST', '/api/v1/sync/enable')).status, 200);
        const status = await waitFor('the first pass', async () => {
          const current = (await world.api('GET', '/api/v1/sync/status')).json;
          return current.passes.completed >= 1 ? current : undefined;
        });
        assert.equal(status.passes.lastError, null);
        assert.equal(await world.crmVersion(), version, 'the pass wrote nothing back to the CRM');
        const same = (await world.api('GET', '/api/v1/persons?email=handover@example.com')).json.items;
        assert.deepEqual(
          same.map((person: { id: string; crmType: string }) => [person.id, person.crmType]),
          [[id, 'contact']],
        );
        const types = (await world.activities(id)).map((activity) => activity.type);
        assert.ok(!types.includes('crm.converted') && !types.includes('crm.conflict'), types.join());
      }));

    test("B7.2, B3.2 a pass that made a person of the flow's lead first: the flow folds it in, no orphan", () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'raced@example.com', lastName: 'Raced' });
        // The flow's create landed (derived id, B7.2) but the flow was interrupted before it linked, and a CRM
        // user changed the lead's email meanwhile — so the pass cannot link it to the person by email (B3.2).
        const leadId = leadIdForPerson(id);
        const created = await world.crm('POST', 'leads', {
          leadid: leadId,
          lastname: 'Raced',
          emailaddress1: 'raced-in-crm@example.com',
        });
        assert.equal(created.status, 204, JSON.stringify(created.json));
        assert.equal((await world.api('POST', '/api/v1/sync/enable')).status, 200);
        const made = await waitFor('the pass to make a person of the lead', async () => {
          const items = (await world.api('GET', '/api/v1/persons?email=raced-in-crm@example.com')).json.items;
          return items.find((person: { crmLeadId: string | null }) => person.crmLeadId === leadId);
        });
        assert.notEqual(made.id, id);
        assert.equal((await world.api('POST', '/api/v1/sync/disable')).status, 200);
        // The retried flow action finds its lead ("already exists") and links it.
        const synced = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'lead',
        });
        assert.equal(synced.status, 200, JSON.stringify(synced.json));
        assert.equal(synced.json.crmId, leadId);
        const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(person.crmType, 'lead');
        assert.equal(person.crmLeadId, leadId);
        // Before: the link was re-pointed and the pass's person stayed behind, a lead person linked to nothing.
        const orphan = await world.api('GET', `/api/v1/persons/${made.id}`);
        assert.equal(orphan.status, 404, `the pass's person was folded in: ${JSON.stringify(orphan.json)}`);
        const types = (await world.activities(id)).map((activity) => activity.type);
        assert.ok(types.includes('crm.created-person'), `its activities moved over: ${types.join()}`);
      }));

    test('B7.3 a plug-in rejection → 422 with the CRM code and message, one crm.sync-failed, nothing created', () =>
      run(async (world) => {
        const rule = await world.crm('PUT', '/_emulator/rules', [
          {
            entity: 'lead',
            attribute: 'companyname',
            on: 'create',
            check: 'required',
            message: 'Leads need a company (plug-in).',
          },
        ]);
        assert.equal(rule.status < 300, true);
        const id = await world.createPerson({ email: 'nocompany@example.com', lastName: 'Nobody' });
        const response = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'lead',
        });
        assert.equal(response.status, 422);
        assert.equal(response.json.error.code, 'CRM_REJECTED');
        assert.match(response.json.error.message, /Leads need a company \(plug-in\)\./);
        assert.equal(response.json.error.details.crmCode, '0x80040265');
        const failed = (await world.activities(id)).filter((activity) => activity.type === 'crm.sync-failed');
        assert.equal(failed.length, 1);
        assert.match(failed[0].attributes.message, /Leads need a company/);
        assert.equal((await world.crmRows('leads', `leadid eq ${leadIdForPerson(id)}`, 'leadid')).length, 0);
        const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
        assert.equal(person.crmType, null);
        const errors = (await world.api('GET', '/api/v1/sync/errors')).json.items;
        assert.equal(errors.filter((error: { personId: string }) => error.personId === id).length, 1);
      }));

    test('B7.2 fifty concurrent calls for one person leave exactly one CRM record', () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'crowd@example.com', lastName: 'Crowd' });
        const responses = await Promise.all(
          Array.from({ length: 50 }, () =>
            world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, { syncAs: 'lead' }),
          ),
        );
        assert.ok(responses.every((response) => response.status === 200));
        const statuses = responses.map((response) => response.json.status);
        assert.equal(statuses.filter((status) => status === 'created').length, 1);
        assert.equal(statuses.filter((status) => status === 'already-synced').length, 49);
        assert.equal(new Set(responses.map((response) => response.json.crmId)).size, 1);
        assert.equal(
          (await world.crmRows('leads', `emailaddress1 eq 'crowd@example.com'`, 'leadid')).length,
          1,
        );
      }));

    test('B7.2 a retry after the response was dropped after commit leaves exactly one lead', () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'dropped@example.com', lastName: 'Dropped' });
        await world.crm('PUT', '/_emulator/faults', { seed: 7, dropAfterCommitRate: 1 });
        const first = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'lead',
        });
        await world.crm('PUT', '/_emulator/faults', {});
        // Every answer that wrote something was lost; the connector re-sent the create with the same derived id,
        // got "already exists", and the action linked the one lead.
        assert.equal(first.status, 200, JSON.stringify(first.json));
        assert.equal(first.json.status, 'created');
        const retry = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'lead',
        });
        assert.equal(retry.status, 200);
        assert.deepEqual(retry.json, {
          status: 'already-synced',
          crmType: 'lead',
          crmId: leadIdForPerson(id),
        });
        assert.equal(
          (await world.crmRows('leads', `emailaddress1 eq 'dropped@example.com'`, 'leadid')).length,
          1,
        );
      }));

    test('B7.2 a qualify whose answer was dropped is not repeated: exactly one contact', () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'qualified@example.com', lastName: 'Once' });
        await world.crm('PUT', '/_emulator/faults', { seed: 11, dropAfterCommitRate: 1 });
        const first = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'contact',
        });
        await world.crm('PUT', '/_emulator/faults', {});
        const retry = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'contact',
        });
        // QualifyLead's answer was lost after it committed: the contact was found by originatingleadid.
        assert.equal(first.status, 200, JSON.stringify(first.json));
        assert.equal(first.json.crmType, 'contact');
        assert.equal(retry.status, 200);
        assert.deepEqual(retry.json, { ...first.json, status: 'already-synced' });
        const contacts = await world.crmRows(
          'contacts',
          `_originatingleadid_value eq ${leadIdForPerson(id)}`,
          'contactid',
        );
        assert.equal(contacts.length, 1);
        assert.equal(contacts[0].contactid, retry.json.crmId);
        assert.equal((await world.api('GET', `/api/v1/persons/${id}`)).json.crmType, 'contact');
      }));

    test('bad input: unknown person 404, unknown owner 400 UNKNOWN_OWNER, bad body 400; nothing written', () =>
      run(async (world) => {
        const id = await world.createPerson({ email: 'input@example.com', lastName: 'Input' });
        const version = await world.crmVersion();
        const missing = await world.api(
          'POST',
          '/api/v1/persons/00000000-0000-4000-8000-000000000000/actions/sync-to-crm',
          { syncAs: 'lead' },
        );
        assert.equal(missing.status, 404);
        const owner = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'lead',
          ownerId: '00000000-0000-4000-8000-00000000abcd',
        });
        assert.equal(owner.status, 400);
        assert.equal(owner.json.error.code, 'UNKNOWN_OWNER');
        const body = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
          syncAs: 'account',
        });
        assert.equal(body.status, 400);
        assert.equal(body.json.error.code, 'VALIDATION_FAILED');
        assert.equal(await world.crmVersion(), version);
      }));
  });
}
