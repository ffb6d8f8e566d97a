import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultEngineSettings, type EngineSettings } from '../../src/engine/engine.ts';
import { createWebhookFastPath, type WebhookFastPath } from '../../src/webhooks/webhook-fast-path.ts';
import { buildTestServer } from '../api/support/test-server.ts';
import { useEmulator, waitFor, type SyncWorld } from '../engine/sync-world.ts';
import { storeKinds } from '../helpers/test-store.ts';

/**
 * B2.8 over real HTTP: the emulator (its own process) posts Dataverse webhooks to Syncline's API; the worker
 * reads the named records' current values and applies them with the pass's rules. No pass runs in between
 * unless a test runs one, so whatever crosses, crossed by the fast path. Then the next pass writes nothing.
 */

const secret = 'fast-path-test-secret-0123456789';
const settings: EngineSettings = { ...defaultEngineSettings, intervalSeconds: 3600, pageSize: 50 };

interface FastPathWorld {
  readonly fastPath: WebhookFastPath;
  close(): Promise<void>;
}

/** The receiver on a real port, its worker started, and the webhook installed in the emulator. */
async function openFastPath(world: SyncWorld): Promise<FastPathWorld> {
  const fastPath = createWebhookFastPath(world.deps, settings, secret, {
    coalesceMs: 20,
    retryDelaysMs: [50, 100, 200, 400],
  });
  const app = await buildTestServer(world.testStore.store, { webhooks: fastPath.receiver });
  await app.listen({ host: '127.0.0.1', port: 0 });
  fastPath.worker.start();
  const report = await fastPath.install(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  assert.ok(report.created.length > 0);
  return {
    fastPath,
    async close() {
      await app.close();
      await fastPath.worker.stop();
    },
  };
}

async function withFastPath(
  world: SyncWorld,
  scenario: (fast: FastPathWorld) => Promise<void>,
): Promise<void> {
  const fast = await openFastPath(world);
  try {
    await scenario(fast);
  } finally {
    await fast.close();
  }
}

async function linkedContact(world: SyncWorld, email: string, values: Record<string, unknown> = {}) {
  const contactId = await world.crmCreate('contact', {
    firstname: 'Ada',
    lastname: 'Fast',
    emailaddress1: email,
    jobtitle: 'Base title',
    ...values,
  });
  await world.pass();
  return { contactId, person: await world.linkedPerson('contact', contactId) };
}

const valueChanges = async (world: SyncWorld, personId: string, field: string) =>
  (await world.activities(personId))
    .filter((activity) => activity.type === 'data-value-changed' && activity.attributes.field === field)
    .map((activity) => activity.attributes.newValue);

describe('the webhook fast path (B2.8)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`B2.8 a CRM edit reaches the person without a pass; the next pass writes nothing, no second activity (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async () => {
          const { contactId, person } = await linkedContact(world, `edit-${store}@fast.test`);
          world.calls.length = 0;
          await world.crmUpdate('contact', contactId, { firstname: 'Webhooked' });
          await waitFor('the edit to cross', async () => {
            const current = await world.linkedPerson('contact', contactId);
            return current.fields.firstName === 'Webhooked' ? current : undefined;
          });
          const reads = world.calls.filter((call) => call.method === 'retrieveMany');
          assert.equal(reads.length, 1, 'one request for the batch');
          assert.deepEqual(
            world.calls.filter((call) => call.method === 'readChanges'),
            [],
            'no pass read it',
          );

          world.calls.length = 0;
          const counts = await world.pass();
          assert.deepEqual(world.writes(), [], 'the next pass writes nothing to the CRM');
          assert.equal(counts['contact.fromCrm.updated'] ?? 0, 0, JSON.stringify(counts));
          assert.deepEqual(await valueChanges(world, person.id, 'firstName'), ['Webhooked']);
        }),
      ));

    test(`B3.2, B3.6 a new CRM contact becomes a person and a deleted one is flagged, by webhook alone (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async () => {
          await world.pass();
          const contactId = await world.crmCreate('contact', {
            firstname: 'New',
            lastname: 'Webhook',
            emailaddress1: `new-${store}@fast.test`,
          });
          const person = await waitFor('the new contact to become a person', () =>
            world.personByCrmId('contact', contactId),
          );
          assert.equal(person.fields.lastName, 'Webhook');
          await world.crmDelete('contact', contactId);
          await waitFor('the delete to cross', async () => {
            const current = await world.personByCrmId('contact', contactId);
            return current?.fields.crmIsDeleted === true ? current : undefined;
          });
          const activities = (await world.activities(person.id)).map((activity) => activity.type);
          assert.deepEqual(
            activities.filter((type) => type === 'crm.created-person' || type === 'crm.deleted').sort(),
            ['crm.created-person', 'crm.deleted'],
          );
          world.calls.length = 0;
          const counts = await world.pass();
          assert.deepEqual(world.writes(), []);
          assert.equal(counts['contact.fromCrm.created'] ?? 0, 0, JSON.stringify(counts));
          assert.equal((await world.activities(person.id)).length, activities.length, 'no second activity');
        }),
      ));

    test(`B4.3 a collision on the fast path follows the entity rule and is logged once (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async () => {
          const { contactId, person } = await linkedContact(world, `collide-${store}@fast.test`);
          await world.editPerson(person.id, { title: 'Marketing title' });
          await world.crmUpdate('contact', contactId, { jobtitle: 'CRM title' });
          await waitFor('the collision to be decided', async () => {
            const current = await world.linkedPerson('contact', contactId);
            return current.fields.title === 'CRM title' ? current : undefined;
          });
          const conflicts = (await world.testStore.store.listConflicts({ personId: person.id, limit: 10 }))
            .items;
          assert.equal(conflicts.length, 1, JSON.stringify(conflicts));
          assert.equal(conflicts[0]!.winner, 'crm', 'the CRM wins for contacts');
          assert.equal(conflicts[0]!.marketingValue, 'Marketing title', 'the loser is kept');
          world.calls.length = 0;
          await world.pass();
          assert.deepEqual(world.writes(), [], 'the CRM value won: nothing to push');
          assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'CRM title');
          assert.equal(
            (await world.testStore.store.listConflicts({ personId: person.id, limit: 10 })).items.length,
            1,
            'the pass logs no second conflict',
          );
          const activities = await world.activities(person.id);
          assert.equal(activities.filter((activity) => activity.type === 'crm.conflict').length, 1);
        }),
      ));

    test(`B4.3 a lead collision on the fast path keeps the marketing value, which the next pass pushes (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async () => {
          const leadId = await world.crmCreate('lead', {
            subject: 'Fast',
            lastname: 'Lead',
            emailaddress1: `lead-${store}@fast.test`,
            jobtitle: 'Base title',
          });
          await world.pass();
          const person = await world.linkedPerson('lead', leadId);
          await world.editPerson(person.id, { title: 'Marketing title' });
          await world.crmUpdate('lead', leadId, { jobtitle: 'CRM title' });
          const conflicts = await waitFor('the collision to be logged', async () => {
            const items = (await world.testStore.store.listConflicts({ personId: person.id, limit: 10 }))
              .items;
            return items.length > 0 ? items : undefined;
          });
          assert.equal(conflicts[0]!.winner, 'marketing', 'the marketing value wins for leads');
          assert.equal(conflicts[0]!.crmValue, 'CRM title', 'the loser is kept');
          assert.equal((await world.linkedPerson('lead', leadId)).fields.title, 'Marketing title');
          await world.pass();
          assert.equal((await world.crmGet('lead', leadId, ['jobtitle'])).jobtitle, 'Marketing title');
          assert.equal(
            (await world.testStore.store.listConflicts({ personId: person.id, limit: 10 })).items.length,
            1,
            'the pass logs no second conflict',
          );
        }),
      ));

    test(`B3.4 a lead qualified in the CRM is re-linked to its contact by webhook; the pass writes nothing (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async () => {
          const leadId = await world.crmCreate('lead', {
            subject: 'Qualify me',
            firstname: 'Quinn',
            lastname: 'Qualified',
            emailaddress1: `qualify-${store}@fast.test`,
          });
          await world.pass();
          const person = await world.linkedPerson('lead', leadId);
          const contactId = await world.crmQualifyLead(leadId);
          const relinked = await waitFor('the contact to take the lead person', async () => {
            const current = await world.personByCrmId('contact', contactId);
            return current?.fields.crmType === 'contact' ? current : undefined;
          });
          assert.equal(relinked.id, person.id, 'the person keeps its id');
          const converted = (await world.activities(person.id)).filter((a) => a.type === 'crm.converted');
          assert.equal(converted.length, 1);
          world.calls.length = 0;
          await world.pass();
          assert.deepEqual(world.writes(), [], 'the next pass writes nothing');
          assert.equal(
            (await world.activities(person.id)).filter((a) => a.type === 'crm.converted').length,
            1,
          );
        }),
      ));

    test(`B8.1 disabled sync stops the fast path; enabling lets the pass carry the change (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async (fast) => {
          const { contactId } = await linkedContact(world, `disabled-${store}@fast.test`);
          await world.service.setEnabled(false);
          await world.crmUpdate('contact', contactId, { firstname: 'While disabled' });
          await waitFor('the webhook', async () =>
            fast.fastPath.worker.stats().notifications > 0 ? true : undefined,
          );
          await fast.fastPath.worker.idle();
          assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Ada');
          await world.service.setEnabled(true);
          await world.pass();
          assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'While disabled');
        }),
      ));
  }

  for (const store of storeKinds) {
    test(`B2.8 a dropped webhook costs latency only: the next pass carries the change, once (${store})`, () =>
      emulator.run({ store, settings }, (world) =>
        withFastPath(world, async (fast) => {
          const { contactId, person } = await linkedContact(world, `dropped-${store}@fast.test`);
          await world.crm('PUT', '/_emulator/webhooks', { seed: 1, dropRate: 1 });
          const before = fast.fastPath.worker.stats().notifications;
          await world.crmUpdate('contact', contactId, { firstname: 'Dropped' });
          await sleep(500);
          assert.equal(fast.fastPath.worker.stats().notifications, before, 'the webhook was lost');
          assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Ada');
          await world.pass();
          assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Dropped');
          assert.deepEqual(await valueChanges(world, person.id, 'firstName'), ['Dropped']);
        }),
      ));
  }

  test('B2.8 webhooks delivered out of order end on the current value, with no flip back (sqlite)', () =>
    emulator.run({ settings }, (world) =>
      withFastPath(world, async (fast) => {
        const { contactId, person } = await linkedContact(world, 'reordered@fast.test');
        await world.crm('PUT', '/_emulator/webhooks', { order: 'reverse', holdMs: 300 });
        const before = fast.fastPath.worker.stats().notifications;
        await world.crmUpdate('contact', contactId, { firstname: 'First' });
        await world.crmUpdate('contact', contactId, { firstname: 'Second' });
        await waitFor('both webhooks', async () =>
          fast.fastPath.worker.stats().notifications >= before + 2 ? true : undefined,
        );
        await fast.fastPath.worker.idle();
        assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Second');
        const changes = await valueChanges(world, person.id, 'firstName');
        assert.equal(changes[0], 'Second', `the newest activity is the current value: ${changes.join(', ')}`);
        world.calls.length = 0;
        await world.pass();
        assert.deepEqual(world.writes(), []);
        assert.deepEqual(await valueChanges(world, person.id, 'firstName'), changes, 'the pass adds nothing');
      }),
    ));

  test('B4.4 the webhook of Syncline’s own push is not read again (sqlite)', () =>
    emulator.run({ settings }, (world) =>
      withFastPath(world, async (fast) => {
        const { contactId, person } = await linkedContact(world, 'own-write@fast.test');
        const { worker } = fast.fastPath;
        await waitFor('the application users', async () => (worker.stats().ownWrites > 0 ? true : undefined));
        const before = worker.stats();
        await world.editPerson(person.id, { title: 'Pushed by Syncline' });
        await world.pass();
        assert.equal((await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle, 'Pushed by Syncline');
        await waitFor('the push’s webhook', async () =>
          worker.stats().ownWrites > before.ownWrites ? true : undefined,
        );
        world.calls.length = 0;
        await worker.idle();
        assert.deepEqual(
          world.calls.filter((call) => call.method === 'retrieveMany'),
          [],
          'nothing read again',
        );
        assert.equal(worker.stats().applied, before.applied);
      }),
    ));

  test('B2.8 duplicated webhooks are one read; a pending push makes the worker wait until it settled (sqlite)', () =>
    emulator.run({ settings }, (world) =>
      withFastPath(world, async (fast) => {
        const { contactId, person } = await linkedContact(world, 'pending@fast.test');
        const { worker } = fast.fastPath;
        const store = world.testStore.store;
        // A push of this record is on its way: its mark stays until the CRM's answer is recorded.
        await store.markPendingPush('contact', contactId, person.id, ['jobtitle']);
        world.calls.length = 0;
        await world.crmUpdate('contact', contactId, { firstname: 'Waited' });
        const notification = {
          message: 'Update',
          entity: 'contact',
          ids: [contactId],
          deleted: false,
          initiatingUserId: undefined,
        };
        worker.accept(notification);
        worker.accept(notification);
        await sleep(150);
        assert.equal(
          (await world.linkedPerson('contact', contactId)).fields.firstName,
          'Ada',
          'not applied yet',
        );
        const pending = await store.getPendingPush('contact', contactId);
        await store.clearPendingPush('contact', contactId, pending!.generation);
        await waitFor('the record to be applied once the push settled', async () => {
          const current = await world.linkedPerson('contact', contactId);
          return current.fields.firstName === 'Waited' ? current : undefined;
        });
        await worker.idle();
        assert.deepEqual(await valueChanges(world, person.id, 'firstName'), ['Waited']);
        // The emulator's own webhook and the two duplicates: one record, one read per attempt.
        assert.ok(worker.stats().retried >= 1);
      }),
    ));

  test('B2.8 a record not visible yet is read again, then left to the pass; nothing is applied as deleted (sqlite)', () =>
    emulator.run({ settings }, (world) =>
      withFastPath(world, async (fast) => {
        await world.pass();
        const { worker } = fast.fastPath;
        const ghost = '0b0b0b0b-0000-4000-8000-000000000001';
        worker.accept({
          message: 'Create',
          entity: 'contact',
          ids: [ghost],
          deleted: false,
          initiatingUserId: undefined,
        });
        await worker.idle();
        assert.equal(await world.personByCrmId('contact', ghost), undefined);
        assert.equal(worker.stats().leftToPass, 1);
        assert.ok(worker.stats().retried >= 4, JSON.stringify(worker.stats()));
      }),
    ));
});
