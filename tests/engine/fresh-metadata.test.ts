import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { bearerApi } from '../helpers/bearer-api.ts';
import { buildTestServer, testApiKey } from '../api/support/test-server.ts';
import { defaultEngineSettings, runPass, syncEntitiesOf } from '../../src/engine/engine.ts';
import { createStringColumn, label } from './crm-columns.ts';
import { useEmulator, type SyncWorld } from './sync-world.ts';

/**
 * Issue 16 item 8: option sets and attribute types are re-read cheaply in every pass that maps or pushes a value
 * (RetrieveMetadataChanges with the last version stamp; an idle pass only when the last check is older than
 * `metadataCheckSeconds`, issue 17's S6), so a new option label or a type change made in the CRM is seen by the next pass with
 * no re-save of the field selection; a type change quarantines the field (B5.6). Over real HTTP against the
 * emulator as its own process.
 */

/** A CRM administrator adds an option to a choice column (Microsoft's InsertOptionValue action). */
async function insertOption(world: SyncWorld, entity: string, attribute: string, text: string) {
  const response = await world.crm('POST', 'InsertOptionValue', {
    EntityLogicalName: entity,
    AttributeLogicalName: attribute,
    Label: label(text),
  });
  assert.equal(response.status, 200, JSON.stringify(response.json));
  return response.json.NewOptionValue as number;
}

async function metadataStats(world: SyncWorld) {
  const response = await world.crm('GET', '/_emulator/stats');
  return response.json.metadata as { entityDefinitions: number; changesFull: number; changesSince: number };
}

async function someLinkedContact(world: SyncWorld): Promise<string> {
  const contacts = await world.crm('GET', 'contacts?$select=contactid&$top=1');
  return contacts.json.value[0].contactid as string;
}

/** Adds `attribute` to contact's selected fields and runs its backfill (B5.5); answers the selection before. */
async function selectContactField(world: SyncWorld, attribute: string): Promise<string[]> {
  const selected = (await world.service.listFields())
    .filter((field) => field.entity === 'contact' && field.selected)
    .map((field) => field.attribute);
  await world.service.saveFields({ contact: [...selected, attribute] });
  await world.service.backfills.runPending();
  return selected;
}

async function withApi(world: SyncWorld, scenario: (api: ReturnType<typeof bearerApi>) => Promise<void>) {
  const app = await buildTestServer(world.testStore.store, { syncAdmin: world.service });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await scenario(bearerApi(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, testApiKey));
  } finally {
    await app.close();
  }
}

describe('engine: fresh CRM metadata in every pass that moves a value (issue 16 item 8, issue 17 S6, B5.3, B5.6)', () => {
  const emulator = useEmulator();

  test('a new option added in the CRM reaches the person as its label after the next pass, with no re-save', () =>
    emulator.run({}, async (world) => {
      await world.pass();
      const contactId = await someLinkedContact(world);
      const value = await insertOption(world, 'contact', 'leadsourcecode', 'Podcast');
      await world.crmUpdate('contact', contactId, { leadsourcecode: value });
      await world.pass();
      assert.equal((await world.linkedPerson('contact', contactId)).fields.leadSource, 'Podcast');
      // And back: the marketing side may now choose the new label (B5.3: labels not in the option set fail).
      const leadId = (await world.crm('GET', 'leads?$select=leadid&$top=1')).json.value[0].leadid as string;
      const leadValue = await insertOption(world, 'lead', 'leadsourcecode', 'Webinar');
      await world.pass();
      const person = await world.linkedPerson('lead', leadId);
      await world.editPerson(person.id, { leadSource: 'Webinar' });
      await world.pass();
      assert.equal((await world.crmGet('lead', leadId, ['leadsourcecode'])).leadsourcecode, leadValue);
    }));

  test('issue 17 S6: a pass with nothing to map asks nothing of the metadata; one that maps or pushes asks once, with the stamp', () =>
    emulator.run({}, async (world) => {
      await world.pass();
      await world.pass();
      const idle = await metadataStats(world);
      await world.pass();
      const afterIdle = await metadataStats(world);
      assert.deepEqual(afterIdle, idle, 'an idle pass sends no metadata request');
      // A CRM change to map: one RetrieveMetadataChanges with the stamp, nothing else.
      const contactId = await someLinkedContact(world);
      await world.crmUpdate('contact', contactId, { jobtitle: 'Read with fresh metadata' });
      await world.pass();
      const afterPull = await metadataStats(world);
      assert.equal(
        afterPull.changesSince - afterIdle.changesSince,
        1,
        'one RetrieveMetadataChanges with the stamp',
      );
      assert.equal(afterPull.changesFull - afterIdle.changesFull, 0, 'no full metadata query');
      assert.equal(afterPull.entityDefinitions - afterIdle.entityDefinitions, 0, 'no EntityDefinitions read');
      // A marketing change to push: checked once before it is turned into the CRM's values.
      const person = await world.linkedPerson('contact', contactId);
      await world.editPerson(person.id, { title: 'Pushed with fresh metadata' });
      await world.pass();
      const afterPush = await metadataStats(world);
      assert.equal(afterPush.changesSince - afterPull.changesSince, 1);
      assert.equal(
        (await world.crmGet('contact', contactId, ['jobtitle'])).jobtitle,
        'Pushed with fresh metadata',
      );
      // A change costs the re-read of that entity only.
      await insertOption(world, 'contact', 'new_tier', 'Platinum');
      await world.crmUpdate('contact', contactId, { jobtitle: 'After the new option' });
      const beforeChange = await metadataStats(world);
      await world.pass();
      const afterChange = await metadataStats(world);
      assert.equal(afterChange.changesSince - beforeChange.changesSince, 1);
      assert.ok(afterChange.entityDefinitions - beforeChange.entityDefinitions > 0, 'contact was read again');
    }));

  test("a process's first check starts over, so it is taken before the plans read any metadata: each entity is read once", () =>
    emulator.run({}, async (world) => {
      const settings = { ...defaultEngineSettings, intervalSeconds: 3600 };
      const before = await metadataStats(world);
      const outcome = await runPass(world.deps, settings, { trigger: 'test' });
      assert.equal(outcome.status, 'succeeded', outcome.error ?? '');
      const firstPass = await metadataStats(world);
      // What reading every entity's metadata once costs, measured on the same connector with its cache cleared.
      world.deps.crm.refreshMetadata();
      for (const entity of syncEntitiesOf(settings)) await world.deps.crm.describeEntity(entity.name);
      const once = (await metadataStats(world)).entityDefinitions - firstPass.entityDefinitions;
      assert.ok(once > 0);
      assert.equal(firstPass.changesFull - before.changesFull, 1, 'one check without a stamp');
      assert.equal(firstPass.entityDefinitions - before.entityDefinitions, once, 'each entity read once');
    }));

  test('an idle pass checks the metadata when the last check is older than metadataCheckSeconds, and quarantines a type change (B5.6)', () =>
    emulator.run({ settings: { metadataCheckSeconds: 0 } }, async (world) => {
      await world.pass();
      await selectContactField(world, 'new_tier');
      await world.pass();
      const before = await metadataStats(world);
      await world.pass();
      assert.equal(
        (await metadataStats(world)).changesSince - before.changesSince,
        1,
        'the idle pass checked',
      );
      // No record changes: the type change is still seen by the idle pass, and the fields page shows it.
      const column = `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_tier')`;
      assert.equal((await world.crm('DELETE', column)).status, 204);
      await createStringColumn(world, 'contact', 'new_Tier');
      await world.pass();
      const tier = (await world.service.listFields()).find(
        (field) => field.entity === 'contact' && field.attribute === 'new_tier',
      );
      assert.equal(tier?.state, 'quarantined');
    }));

  test('B5.6 an attribute whose type changed in the CRM is quarantined at the next pass and the fields API shows it', () =>
    emulator.run({}, async (world) => {
      await world.pass();
      const selected = await selectContactField(world, 'new_tier');
      const contactId = await someLinkedContact(world);
      await world.crmUpdate('contact', contactId, { new_tier: 100000002 });
      await world.pass();
      const person = await world.linkedPerson('contact', contactId);
      assert.equal(person.fields.new_tier, 'Gold');
      // The column is replaced by a text column of the same name: Picklist → String (both text to a person).
      const column = `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_tier')`;
      assert.equal((await world.crm('DELETE', column)).status, 204);
      await createStringColumn(world, 'contact', 'new_Tier');
      await world.crmUpdate('contact', contactId, { new_tier: 'free text now', jobtitle: 'Still syncing' });
      await world.pass();
      await withApi(world, async (api) => {
        const fields = (await api('GET', '/api/v1/sync/fields')).body;
        const tier = fields.find(
          (field: any) => field.entity === 'contact' && field.attribute === 'new_tier',
        );
        assert.equal(tier.state, 'quarantined');
        assert.match(tier.stateReason, /type changed in the CRM from Picklist to String/);
      });
      const after = await world.linkedPerson('contact', contactId);
      assert.equal(after.fields.new_tier, 'Gold', 'the quarantined field is not read with the new type');
      assert.equal(after.fields.title, 'Still syncing', 'every other field keeps syncing');
      const notes = await world.testStore.store.listNotifications({ limit: 20 });
      assert.ok(notes.items.some((note) => note.type === 'field-quarantined'));
      // Re-saving the selection clears the quarantine (B5.6) and backfills with the new type.
      await world.service.saveFields({ contact: [...selected, 'new_tier'] });
      await world.service.backfills.runPending();
      const cleared = (await world.service.listFields()).find((field) => field.attribute === 'new_tier');
      assert.equal(cleared?.state, 'synced');
      assert.equal((await world.linkedPerson('contact', contactId)).fields.new_tier, 'free text now');
    }));

  test('B5.6 a column that vanishes during the push is quarantined, and the rounds after the refusal go without it though the metadata check re-planned the entity', () =>
    emulator.run({ settings: { pushRoundSize: 1 } }, async (world) => {
      await createStringColumn(world, 'contact', 'new_Doomed');
      await world.pass();
      await selectContactField(world, 'new_doomed');
      await world.pass();
      const contacts = (await world.crm('GET', 'contacts?$select=contactid')).json.value as {
        contactid: string;
      }[];
      const persons = [];
      for (const contact of contacts) {
        const person = await world.personByCrmId('contact', contact.contactid);
        if (person !== undefined) persons.push(person);
      }
      assert.ok(persons.length >= 5, `linked contacts: ${persons.length}`);
      for (const [index, person] of persons.entries())
        await world.editPerson(person.id, { new_doomed: `value ${index}`, title: `Title ${index}` });
      // The pass's metadata check finds contact changed, so the push takes the pass's new contact plan.
      await insertOption(world, 'contact', 'leadsourcecode', 'Radio');
      // The column vanishes just before the first write: that round is refused and quarantines it.
      world.beforeNextWrite(async () => {
        const column = `EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='new_doomed')`;
        assert.equal((await world.crm('DELETE', column)).status, 204);
      });
      world.calls.length = 0;
      await world.pass();
      const carrying = world
        .writes()
        .filter((operation) => operation.kind === 'update' && 'new_doomed' in operation.values);
      // Two rounds are in flight at most when the refusal lands (the pusher's pipeline); later ones go without it.
      assert.ok(carrying.length <= 2, `${carrying.length} updates carried the vanished column`);
      const doomed = (await world.service.listFields()).find((field) => field.attribute === 'new_doomed');
      assert.equal(doomed?.state, 'quarantined');
      // Every other field keeps syncing (B5.6).
      for (const [index, person] of persons.entries()) {
        const crmId = (await world.testStore.store.listLinksOfPerson(person.id))[0].crmId;
        assert.equal((await world.crmGet('contact', crmId, ['jobtitle'])).jobtitle, `Title ${index}`);
      }
    }));

  test('a deleted column is found through DeletedMetadata alone; nothing changed → nothing reported', () =>
    emulator.run({}, async (world) => {
      await createStringColumn(world, 'lead', 'new_Gone');
      await world.pass();
      // The pass's own entity list: the stamp belongs to that query.
      const entities = syncEntitiesOf(defaultEngineSettings).map((entity) => entity.name);
      assert.deepEqual(await world.deps.crm.checkMetadataChanges(entities), { changed: [], full: false });
      const gone = `EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='new_gone')`;
      assert.equal((await world.crm('DELETE', gone)).status, 204);
      assert.deepEqual(await world.deps.crm.checkMetadataChanges(entities), {
        changed: ['lead'],
        full: false,
      });
      const lead = await world.deps.crm.describeEntity('lead');
      assert.ok(!lead.attributes.some((attribute) => attribute.logicalName === 'new_gone'), 'read again');
    }));

  test('an expired metadata stamp (0x80044352) makes the next pass read all metadata again, and it succeeds', () =>
    emulator.run({}, async (world) => {
      await world.pass();
      const contactId = await someLinkedContact(world);
      const value = await insertOption(world, 'contact', 'leadsourcecode', 'Trade fair');
      assert.equal((await world.crm('POST', '/_emulator/expire-metadata-stamps')).status, 200);
      await world.crmUpdate('contact', contactId, { leadsourcecode: value });
      const before = await metadataStats(world);
      await world.pass();
      const after = await metadataStats(world);
      assert.equal(after.changesFull - before.changesFull, 1, 'started over without a stamp');
      assert.equal((await world.linkedPerson('contact', contactId)).fields.leadSource, 'Trade fair');
    }));
});
