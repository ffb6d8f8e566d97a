import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { leadIdForPerson } from '../../src/flows/flow-ids.ts';
import { useFlowWorld } from './flow-world.ts';

const [firstUser, secondUser] = emulatorFixtures.salesUserIds;

describe('Change Owner, Create Task and resumed qualifies over HTTP, with the sync disabled (B7.2, B7.6)', () => {
  const run = useFlowWorld();

  test('B7.6 Change Owner assigns a linked record to a user, then a team, with crm.owner-changed', () =>
    run(async (world) => {
      const id = await world.createPerson({ email: 'owner@example.com', lastName: 'Owned' });
      const synced = await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, {
        syncAs: 'lead',
        ownerId: firstUser,
      });
      assert.equal(synced.status, 200);
      const path = `/api/v1/persons/${id}/actions/change-owner`;
      const toUser = await world.api('POST', path, { ownerId: secondUser });
      assert.equal(toUser.status, 200, JSON.stringify(toUser.json));
      assert.deepEqual(toUser.json, {
        status: 'assigned',
        crmType: 'lead',
        crmId: synced.json.crmId,
        ownerId: secondUser,
        ownerType: 'systemuser',
        synced: false,
      });
      const toTeam = await world.api('POST', path, { ownerId: emulatorFixtures.salesTeamId });
      assert.equal(toTeam.json.ownerType, 'team');
      const [lead] = await world.crmRows('leads', `leadid eq ${synced.json.crmId}`, '_ownerid_value');
      assert.equal(lead._ownerid_value, emulatorFixtures.salesTeamId);
      const person = (await world.api('GET', `/api/v1/persons/${id}`)).json;
      assert.equal(person.crmOwnerId, emulatorFixtures.salesTeamId);
      assert.equal(person.crmOwnerEmail, null, 'teams have no email');
      const changes = (await world.activities(id)).filter(
        (activity) => activity.type === 'crm.owner-changed',
      );
      assert.deepEqual(
        changes.map((activity) => [activity.attributes.from, activity.attributes.to]),
        [
          [secondUser, emulatorFixtures.salesTeamId],
          [firstUser, secondUser],
        ],
      );
    }));

  test('B7.6 Change Owner syncs an unlinked person first, owned by the new owner', () =>
    run(async (world) => {
      const id = await world.createPerson({ email: 'unlinked-owner@example.com', lastName: 'First' });
      const response = await world.api('POST', `/api/v1/persons/${id}/actions/change-owner`, {
        ownerId: secondUser,
      });
      assert.equal(response.status, 200, JSON.stringify(response.json));
      assert.equal(response.json.synced, true);
      assert.equal(response.json.crmId, leadIdForPerson(id));
      const [lead] = await world.crmRows('leads', `leadid eq ${response.json.crmId}`, '_ownerid_value');
      assert.equal(lead._ownerid_value, secondUser);
      const types = (await world.activities(id)).map((activity) => activity.type);
      assert.ok(types.includes('crm.pushed') && types.includes('crm.owner-changed'));
    }));

  test('B7.6 Create Task: 409 for an unlinked person; a task regarding the lead, due in 5 days by default', () =>
    run(async (world) => {
      const id = await world.createPerson({ email: 'task@example.com', lastName: 'Tasked' });
      const path = `/api/v1/persons/${id}/actions/create-task`;
      const unlinked = await world.api('POST', path, { subject: 'Call back' });
      assert.equal(unlinked.status, 409);
      assert.equal(unlinked.json.error.code, 'PERSON_NOT_SYNCED');

      await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, { syncAs: 'lead' });
      const before = Date.now();
      const created = await world.api('POST', path, {
        subject: 'Call back',
        description: 'Asked for a demo',
      });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      assert.equal(created.json.crmId, leadIdForPerson(id));
      const [task] = await world.crmRows(
        'tasks',
        `activityid eq ${created.json.taskId}`,
        'subject,description,scheduledend,_regardingobjectid_value',
      );
      assert.equal(task.subject, 'Call back');
      assert.equal(task.description, 'Asked for a demo');
      assert.equal(task._regardingobjectid_value, leadIdForPerson(id));
      const dueInDays = (Date.parse(task.scheduledend) - before) / 86_400_000;
      assert.ok(dueInDays > 4.9 && dueInDays < 5.1, `due in ${dueInDays} days`);
      const logged = (await world.activities(id)).filter((activity) => activity.type === 'crm.task-created');
      assert.equal(logged.length, 1);
      const invalid = await world.api('POST', path, { subject: '' });
      assert.equal(invalid.status, 400);
    }));

  test('B7.2 Create Task called twice with the same request (a client retry) makes one task and answers it twice', () =>
    run(async (world) => {
      const id = await world.createPerson({ email: 'task-retry@example.com', lastName: 'Retried' });
      await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, { syncAs: 'lead' });
      const path = `/api/v1/persons/${id}/actions/create-task`;
      const body = { subject: 'Call back', description: 'Asked for a demo', dueInDays: 3 };
      const first = await world.api('POST', path, body);
      assert.equal(first.status, 200, JSON.stringify(first.json));
      const retry = await world.api('POST', path, body);
      assert.equal(retry.status, 200, JSON.stringify(retry.json));
      assert.deepEqual(retry.json, first.json, 'the retry answers the same task');
      const tasks = await world.crmRows(
        'tasks',
        `_regardingobjectid_value eq ${leadIdForPerson(id)}`,
        'activityid,subject',
      );
      assert.deepEqual(
        tasks.map((task) => task.activityid),
        [first.json.taskId],
      );
      const logged = (await world.activities(id)).filter((activity) => activity.type === 'crm.task-created');
      assert.equal(logged.length, 1, 'one task, one activity');
      // Another subject is another task.
      const other = await world.api('POST', path, { ...body, subject: 'Send the offer' });
      assert.equal(other.status, 200);
      assert.notEqual(other.json.taskId, first.json.taskId);
      assert.equal(
        (await world.crmRows('tasks', `_regardingobjectid_value eq ${leadIdForPerson(id)}`, 'activityid'))
          .length,
        2,
      );
    }));

  test('B7.2 Create Task whose answer was dropped after commit makes one task', () =>
    run(async (world) => {
      const id = await world.createPerson({ email: 'task-dropped@example.com', lastName: 'Dropped' });
      await world.api('POST', `/api/v1/persons/${id}/actions/sync-to-crm`, { syncAs: 'lead' });
      const path = `/api/v1/persons/${id}/actions/create-task`;
      await world.crm('PUT', '/_emulator/faults', { seed: 9, dropAfterCommitRate: 1 });
      let first;
      try {
        first = await world.api('POST', path, { subject: 'Call back' });
      } finally {
        await world.crm('PUT', '/_emulator/faults', {});
      }
      assert.equal(first.status, 200, JSON.stringify(first.json));
      const retry = await world.api('POST', path, { subject: 'Call back' });
      assert.equal(retry.json.taskId, first.json.taskId);
      const tasks = await world.crmRows(
        'tasks',
        `_regardingobjectid_value eq ${leadIdForPerson(id)}`,
        'activityid',
      );
      assert.equal(tasks.length, 1);
      const logged = (await world.activities(id)).filter((activity) => activity.type === 'crm.task-created');
      assert.equal(logged.length, 1);
    }));

  test('B7.2 a qualify the CRM refused is resumed by a retry instead of answering already-synced', () =>
    run(async (world) => {
      await world.crm('PUT', '/_emulator/rules', [
        {
          entity: 'contact',
          on: 'create',
          check: 'required',
          attribute: 'jobtitle',
          message: 'Contacts need a job title.',
        },
      ]);
      const id = await world.createPerson({ email: 'resume@example.com', lastName: 'Resumed' });
      const path = `/api/v1/persons/${id}/actions/sync-to-crm`;
      const refused = await world.api('POST', path, { syncAs: 'contact' });
      assert.equal(refused.status, 422, JSON.stringify(refused.json));
      assert.match(refused.json.error.message, /Contacts need a job title/);
      const between = (await world.api('GET', `/api/v1/persons/${id}`)).json;
      assert.equal(between.crmType, 'lead', 'the lead exists, so the person stays linked to it');

      await world.crm('PUT', '/_emulator/rules', []);
      const resumed = await world.api('POST', path, { syncAs: 'contact' });
      assert.equal(resumed.status, 200, JSON.stringify(resumed.json));
      assert.equal(resumed.json.status, 'created');
      assert.equal(resumed.json.crmType, 'contact');
      assert.equal(
        (await world.crmRows('leads', `emailaddress1 eq 'resume@example.com'`, 'leadid')).length,
        1,
      );
      const again = await world.api('POST', path, { syncAs: 'contact' });
      assert.equal(again.json.status, 'already-synced');
    }));
});
