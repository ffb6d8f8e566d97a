import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFetchedRecords, buildPlans, defaultEngineSettings } from '../../src/engine/engine.ts';
import { CrmError } from '../../src/connectors/crm-error.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { FlowService } from '../../src/flows/flow-service.ts';
import type { CrmRecord } from '../../src/domain/crm-record.ts';
import { storeKinds } from '../helpers/test-store.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

/**
 * B2.8, B4.4: with a fast path beside the passes, a record may be applied after a newer version of it was: a
 * pass's page read before a webhook's re-read, or a re-read that lost the race with a page. The older values
 * must not be applied — the field would flip back (a second `data-value-changed`) and forth again at the next
 * pass. The link's ETag is the version last applied; an older record is skipped and counted `stale`.
 */

const settings = { ...defaultEngineSettings, pageSize: 50 };

async function readContact(world: SyncWorld, id: string) {
  const plans = await buildPlans(world.deps, settings);
  const record = await world.deps.crm.retrieve('contact', id, plans.get('contact')!.select);
  assert.ok(record !== undefined);
  return { plans, record };
}

/** Applies contacts as read by id (a late page, a re-read), with the pass's rules. */
function applyContacts(
  world: SyncWorld,
  plans: Awaited<ReturnType<typeof buildPlans>>,
  records: CrmRecord[],
) {
  return applyFetchedRecords(world.deps, { plans, settings }, { entity: 'contact', records, missing: [] });
}

/** A contact synced by a pass, its person, and a sales user who does not own it yet (for Change Owner). */
async function ownedContact(world: SyncWorld, name: string) {
  const contactId = await world.crmCreate('contact', { lastname: name, emailaddress1: `${name}@order.test` });
  await world.pass();
  const person = await world.linkedPerson('contact', contactId);
  const newOwner = emulatorFixtures.salesUserIds.find((id) => id !== person.fields.crmOwnerId)!;
  return { contactId, person, newOwner };
}

describe('engine: records applied out of order (B2.8, B4.4)', () => {
  const emulator = useEmulator();

  for (const store of storeKinds) {
    test(`B2.8 a record older than the version already applied changes nothing (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const contactId = await world.crmCreate('contact', {
          firstname: 'Ada',
          lastname: 'Versions',
          emailaddress1: `versions-${store}@order.test`,
        });
        await world.pass();
        const person = await world.linkedPerson('contact', contactId);
        const { record: old } = await readContact(world, contactId);
        await world.crmUpdate('contact', contactId, { firstname: 'Bea' });
        const { plans, record: fresh } = await readContact(world, contactId);

        await applyContacts(world, plans, [fresh]);
        assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Bea');
        // The pass's page, read before the edit, arrives late.
        await applyContacts(world, plans, [old]);
        assert.equal(
          (await world.linkedPerson('contact', contactId)).fields.firstName,
          'Bea',
          'no flip back',
        );

        world.calls.length = 0;
        const counts = await world.pass();
        assert.equal((await world.linkedPerson('contact', contactId)).fields.firstName, 'Bea');
        assert.deepEqual(world.writes(), [], 'the next pass writes nothing to the CRM');
        assert.equal(counts['contact.fromCrm.updated'] ?? 0, 0, JSON.stringify(counts));
        const changes = (await world.activities(person.id)).filter(
          (activity) => activity.type === 'data-value-changed' && activity.attributes.field === 'firstName',
        );
        assert.deepEqual(
          changes.map((activity) => activity.attributes.newValue),
          ['Bea'],
          'one data-value-changed for the one CRM edit',
        );
      }));

    test(`B2.8 a pass's page read before a Change Owner does not set the old owner back (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const { contactId, person, newOwner } = await ownedContact(world, `owner-order-${store}`);
        const { plans, record: old } = await readContact(world, contactId);

        const assigned = await new FlowService(world.deps, settings).changeOwner(person.id, {
          ownerId: newOwner,
        });
        assert.equal(assigned.ownerId, newOwner);
        // The pass's page, read before the assign, arrives late.
        await applyContacts(world, plans, [old]);
        assert.equal(
          (await world.linkedPerson('contact', contactId)).fields.crmOwnerId,
          newOwner,
          'the old owner is not set back',
        );
        await world.pass();
        assert.equal((await world.linkedPerson('contact', contactId)).fields.crmOwnerId, newOwner);
        const ownerChanges = (await world.activities(person.id)).filter(
          (activity) => activity.type === 'crm.owner-changed',
        );
        assert.deepEqual(
          ownerChanges.map((activity) => activity.attributes.to),
          [newOwner],
          'one crm.owner-changed for the one assign',
        );
      }));

    test(`B7.6 a Change Owner whose read-back the CRM does not answer is still assigned (${store})`, () =>
      emulator.run({ store }, async (world) => {
        const { contactId, person, newOwner } = await ownedContact(world, `owner-unread-${store}`);
        const unavailable = new CrmError(
          { errorClass: 'pass', reason: 'server' },
          'Dataverse answered 503.',
          { crmCode: undefined, httpStatus: 503 },
        );
        const crm = new Proxy(world.deps.crm, {
          get(target, key) {
            if (key === 'retrieve') return () => Promise.reject(unavailable);
            const value: unknown = Reflect.get(target, key);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        const flows = new FlowService({ ...world.deps, crm }, settings);
        const assigned = await flows.changeOwner(person.id, { ownerId: newOwner });
        assert.equal(assigned.status, 'assigned');
        assert.equal((await world.linkedPerson('contact', contactId)).fields.crmOwnerId, newOwner);
        await world.pass();
        assert.equal((await world.linkedPerson('contact', contactId)).fields.crmOwnerId, newOwner);
      }));
  }
});
