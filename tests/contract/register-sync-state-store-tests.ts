import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.ts';
import { collectPages, rejectsWithCode, type StoreFactory, storeTest } from './store-contract-support.ts';
import type { SyncFieldInput } from '../../src/domain/sync-field.ts';
import type { LinkedEntity, LinkState } from '../../src/store/link-store.ts';
import type { SyncErrorInput } from '../../src/store/run-log-store.ts';

const unknownId = '01900000-0000-7000-8000-000000000000';

function link(
  store: Store,
  entity: LinkedEntity,
  crmId: string,
  personId: string,
  state: LinkState = 'active',
) {
  return store.upsertLink({ entity, crmId, personId, state, etag: null, version: null });
}

/** The sync engine's own state (SyncStateStore). */
export function registerSyncStateStoreTests(factory: StoreFactory): void {
  const it = storeTest(factory);

  it('links: created, re-linked, read singly and in bulk, listed per person, deleted with their bases (B3.1)', async (store) => {
    const person = await store.createPerson({ email: 'l@example.com' }, 'sync');
    const lead = await store.upsertLink({
      entity: 'lead',
      crmId: 'L-1',
      personId: person.id,
      state: 'active',
      etag: 'W/"1"',
      version: '1',
    });
    assert.equal(lead.state, 'active');
    const updated = await store.upsertLink({ ...lead, state: 'superseded', etag: 'W/"2"' });
    assert.equal(updated.linkedAt, lead.linkedAt, 'same person: still the same link');
    assert.equal(updated.etag, 'W/"2"');
    await link(store, 'contact', 'C-1', person.id, 'active');

    assert.deepEqual(await store.getLink('lead', 'L-1'), {
      ...updated,
      updatedAt: (await store.getLink('lead', 'L-1'))!.updatedAt,
    });
    assert.equal(await store.getLink('contact', 'L-1'), undefined);
    const bulk = await store.getLinks('lead', ['L-1', 'L-2', 'nope']);
    assert.deepEqual([...bulk.keys()], ['L-1']);
    const ofPerson = await store.listLinksOfPerson(person.id);
    assert.deepEqual(
      ofPerson.map((link) => [link.entity, link.state]),
      [
        ['contact', 'active'],
        ['lead', 'superseded'],
      ],
    );

    await store.setBases('lead', 'L-1', { firstName: 'A' });
    assert.equal(await store.deleteLink('lead', 'L-1'), true);
    assert.equal(await store.deleteLink('lead', 'L-1'), false);
    assert.equal((await store.getBases('lead', 'L-1')).size, 0, 'bases go with the link');
    await rejectsWithCode(
      store.upsertLink({
        entity: 'lead',
        crmId: 'L-9',
        personId: unknownId,
        state: 'active',
        etag: null,
        version: null,
      }),
      'NOT_FOUND',
    );
    await rejectsWithCode(
      store.upsertLink({
        entity: 'account' as never,
        crmId: 'A',
        personId: person.id,
        state: 'active',
        etag: null,
        version: null,
      }),
      'VALIDATION_FAILED',
    );
  });

  it('bases: per record and field, null differs from absent, types survive, removed with the person (B4.1)', async (store) => {
    const person = await store.createPerson({ email: 'b@example.com' }, 'sync');
    await link(store, 'contact', 'C-1', person.id, 'active');
    await store.setBases('contact', 'C-1', {
      firstName: 'Ann',
      doNotCall: false,
      annualRevenue: 1.25,
      city: null,
    });
    await store.setBases('contact', 'C-1', { firstName: 'Anne', lastName: 'Lee' });
    await store.setBases('contact', 'C-2', { firstName: '{"looks":"like json"}' });
    const bases = await store.getBases('contact', 'C-1');
    assert.deepEqual(Object.fromEntries(bases), {
      firstName: 'Anne',
      lastName: 'Lee',
      doNotCall: false,
      annualRevenue: 1.25,
      city: null,
    });
    assert.equal(bases.has('email'), false);
    await store.setBases('contact', 'C-1', { lastName: undefined });
    assert.equal((await store.getBases('contact', 'C-1')).has('lastName'), false);
    const many = await store.getBasesOf('contact', ['C-1', 'C-2', 'C-3']);
    assert.deepEqual([...many.keys()].sort(), ['C-1', 'C-2']);
    assert.equal(many.get('C-2')!.get('firstName'), '{"looks":"like json"}');

    await store.deletePerson(person.id, 'api');
    assert.equal((await store.getBases('contact', 'C-1')).size, 0);
    assert.equal(await store.getLink('contact', 'C-1'), undefined);
  });

  it('bulk links and bases: a page of records in one call, re-link keeps linkedAt only for the same person (B3.1, B4.1)', async (store) => {
    const [ann, bob] = await store.createPersons(
      [{ email: 'ann@example.com' }, { email: 'bob@example.com' }],
      'sync',
    );
    await store.upsertLinks([
      { entity: 'contact', crmId: 'C-1', personId: ann.id, state: 'active', etag: 'W/"1"', version: null },
      { entity: 'contact', crmId: 'C-2', personId: bob.id, state: 'active', etag: null, version: null },
    ]);
    const before = await store.getLinks('contact', ['C-1', 'C-2']);
    assert.equal(before.get('C-1')!.personId, ann.id);
    assert.equal(before.get('C-1')!.etag, 'W/"1"');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.upsertLinks([
      { entity: 'contact', crmId: 'C-1', personId: ann.id, state: 'excluded', etag: 'W/"2"', version: '2' },
      { entity: 'contact', crmId: 'C-2', personId: ann.id, state: 'active', etag: null, version: null },
    ]);
    const after = await store.getLinks('contact', ['C-1', 'C-2']);
    assert.equal(after.get('C-1')!.state, 'excluded');
    assert.equal(after.get('C-1')!.etag, 'W/"2"');
    assert.equal(after.get('C-1')!.linkedAt, before.get('C-1')!.linkedAt, 'same person: same link');
    assert.equal(after.get('C-2')!.personId, ann.id);
    assert.notEqual(after.get('C-2')!.linkedAt, before.get('C-2')!.linkedAt, 'another person: a new link');
    await rejectsWithCode(
      store.upsertLinks([
        { entity: 'lead', crmId: '', personId: ann.id, state: 'active', etag: null, version: null },
      ]),
      'VALIDATION_FAILED',
    );
    await assert.rejects(
      store.upsertLinks([
        { entity: 'lead', crmId: 'L-1', personId: unknownId, state: 'active', etag: null, version: null },
      ]),
    );
    assert.equal(await store.getLink('lead', 'L-1'), undefined, 'a refused bulk call writes nothing');

    await store.setBasesOf('contact', [
      { crmId: 'C-1', values: { firstName: 'Ann', city: null } },
      { crmId: 'C-2', values: { firstName: 'Bob', annualRevenue: 2.5 } },
    ]);
    await store.setBasesOf('contact', [{ crmId: 'C-1', values: { firstName: 'Anne', city: undefined } }]);
    const bases = await store.getBasesOf('contact', ['C-1', 'C-2']);
    assert.deepEqual(Object.fromEntries(bases.get('C-1')!), { firstName: 'Anne' });
    assert.deepEqual(Object.fromEntries(bases.get('C-2')!), { firstName: 'Bob', annualRevenue: 2.5 });
  });

  it('mirror rows of one entity are read in bulk; unknown ids are absent', async (store) => {
    await store.upsertMirrorRows([
      { entity: 'account', id: 'A-1', attributes: { name: 'Acme' }, deleted: false },
      { entity: 'account', id: 'A-2', attributes: { name: 'Gone' }, deleted: true },
      { entity: 'team', id: 'A-3', attributes: { name: 'Team' }, deleted: false },
    ]);
    const rows = await store.getMirrorRows('account', ['A-1', 'A-2', 'A-3', 'A-1', 'nope']);
    assert.deepEqual([...rows.keys()].sort(), ['A-1', 'A-2']);
    assert.equal(rows.get('A-1')!.attributes.name, 'Acme');
    assert.equal(rows.get('A-2')!.deleted, true);
    assert.equal((await store.getMirrorRows('Bad Entity', ['A-1'])).size, 0);
  });

  it('sync errors are recorded once per distinct error with first/last seen and count (B6.1)', async (store) => {
    const error: SyncErrorInput = {
      entity: 'lead',
      crmId: 'L-1',
      personId: null,
      direction: 'toCrm',
      operation: 'update',
      code: '0x80040265',
      message: 'Plug-in says: Topic is required',
    };
    const first = await store.recordSyncError(error);
    assert.equal(first.isNew, true);
    const again = await store.recordSyncError(error);
    assert.equal(again.isNew, false);
    assert.equal(again.error.id, first.error.id);
    assert.equal(again.error.count, 2);
    assert.equal(again.error.firstSeen, first.error.firstSeen);
    assert.ok(again.error.lastSeen >= first.error.lastSeen);
    const other = await store.recordSyncError({
      ...error,
      crmId: 'L-2',
      code: '0x80044331',
      message: 'Length exceeded',
    });
    assert.equal(other.isNew, true);

    assert.equal((await store.listSyncErrors({ limit: 10 })).items.length, 2);
    assert.deepEqual(
      (await store.listSyncErrors({ limit: 10, q: 'TOPIC' })).items.map((item) => item.id),
      [first.error.id],
    );
    assert.equal((await store.listSyncErrors({ limit: 10, q: 'l-2' })).items.length, 1);
    assert.equal(
      (await store.listSyncErrors({ limit: 10, q: '100%_' })).items.length,
      0,
      'LIKE wildcards are literal',
    );
    assert.equal((await store.listSyncErrors({ limit: 10, entity: 'contact' })).items.length, 0);
    const paged = await collectPages((cursor) => store.listSyncErrors({ limit: 1, cursor }));
    assert.equal(paged.length, 2);

    assert.equal(await store.setSyncErrorStatus(first.error.id, 'retry'), true);
    assert.equal((await store.getSyncError(first.error.id))!.status, 'retry');
    assert.equal(await store.setSyncErrorStatus(unknownId, 'retry'), false);
    assert.equal(await store.resolveSyncErrorsOf('lead', 'L-1'), 1);
    assert.equal((await store.listSyncErrors({ limit: 10 })).items.length, 1);
    assert.equal((await store.listSyncErrors({ limit: 10, status: ['resolved'] })).items.length, 1);
    const reopened = await store.recordSyncError(error);
    assert.equal(reopened.isNew, true, 'a resolved error that recurs is new again');
    assert.equal(reopened.error.count, 3);
    assert.equal(reopened.error.status, 'open');
    assert.equal(await store.getSyncError('nope'), undefined);
  });

  it('concurrent identical errors still make one row', async (store) => {
    const error: SyncErrorInput = {
      entity: 'contact',
      crmId: 'C-9',
      personId: null,
      direction: 'toCrm',
      operation: 'update',
      code: '0x8004f507',
      message: 'secured field',
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.recordSyncError(error)));
    assert.equal(results.filter((result) => result.isNew).length, 1);
    assert.equal((await store.getSyncError(results[0].error.id))!.count, 10);
  });

  it('settlePushes clears the marks it read, keeps a newer generation, resolves errors where asked, counts the cleared (B2.4, B6.1)', async (store) => {
    const person = await store.createPerson({ email: 'settle@example.com' }, 'sync');
    for (const crmId of ['C-1', 'C-2', 'C-3', 'C-4']) {
      await store.markPendingPush('contact', crmId, person.id, null);
    }
    await store.markPendingPush('lead', 'C-1', person.id, null);
    const read = new Map(
      (await store.listPendingPushes({ limit: 10, entity: 'contact' })).items.map((mark) => [
        mark.crmId,
        mark.generation,
      ]),
    );
    // C-2 is re-marked after its generation was read: the accepted push did not carry that change.
    await store.markPendingPush('contact', 'C-2', person.id, ['jobtitle']);
    const error = (crmId: string): SyncErrorInput => ({
      entity: 'contact',
      crmId,
      personId: person.id,
      direction: 'toCrm',
      operation: 'update',
      code: '0x80040265',
      message: `refused ${crmId}`,
    });
    await store.recordSyncError(error('C-1'));
    await store.recordSyncError(error('C-3'));

    const cleared = await store.settlePushes('contact', [
      { crmId: 'C-1', generation: read.get('C-1')!, resolveErrors: true },
      { crmId: 'C-2', generation: read.get('C-2')!, resolveErrors: true },
      { crmId: 'C-3', generation: read.get('C-3')!, resolveErrors: false },
      { crmId: 'C-9', generation: 1, resolveErrors: true },
    ]);
    assert.equal(cleared, 2, 'C-1 and C-3; C-2 was re-marked, C-9 had no mark');
    assert.equal(await store.getPendingPush('contact', 'C-1'), undefined);
    assert.equal(await store.getPendingPush('contact', 'C-3'), undefined);
    const newer = await store.getPendingPush('contact', 'C-2');
    assert.equal(newer?.generation, read.get('C-2')! + 1, 'the newer mark stays');
    assert.ok(await store.getPendingPush('contact', 'C-4'), 'a mark not settled stays');
    assert.ok(await store.getPendingPush('lead', 'C-1'), 'another entity with the same id stays');

    const open = await store.listSyncErrors({ limit: 10 });
    assert.deepEqual(
      open.items.map((item) => item.crmId),
      ['C-3'],
      'C-1 resolved; C-3 kept open (resolveErrors false)',
    );
    assert.equal((await store.listSyncErrors({ limit: 10, status: ['resolved'] })).items[0].crmId, 'C-1');
    assert.equal(await store.settlePushes('contact', []), 0);
    assert.equal(
      await store.withTransaction((tx) =>
        tx.settlePushes('contact', [{ crmId: 'C-4', generation: 1, resolveErrors: true }]),
      ),
      1,
      'inside a transaction, as the pusher settles a chunk',
    );
  });

  it('conflicts keep the losing value, newest first, per person (B4.3)', async (store) => {
    const person = await store.createPerson({ email: 'c@example.com' }, 'sync');
    const other = await store.createPerson({ email: 'd@example.com' }, 'sync');
    const first = await store.recordConflict({
      personId: person.id,
      entity: 'contact',
      crmId: 'C-1',
      field: 'city',
      baseValue: null,
      marketingValue: 'Paris',
      crmValue: 'Lyon',
      winner: 'crm',
    });
    const second = await store.recordConflict({
      ...first,
      field: 'doNotCall',
      baseValue: false,
      marketingValue: true,
      crmValue: false,
    });
    await store.recordConflict({ ...first, personId: other.id });
    const listed = await collectPages((cursor) =>
      store.listConflicts({ personId: person.id, limit: 1, cursor }),
    );
    assert.deepEqual(
      listed.map((conflict) => conflict.id),
      [second.id, first.id],
    );
    assert.equal(listed[0].marketingValue, true);
    assert.equal(listed[1].baseValue, null);
    assert.equal((await store.listConflicts({ limit: 10 })).items.length, 3);
  });

  it('passes: history newest first and a summary of finished passes (B2.1, B6.5)', async (store) => {
    assert.deepEqual(await store.getPassSummary(), {
      completed: 0,
      lastStartedAt: null,
      lastFinishedAt: null,
      lastError: null,
    });
    const first = await store.startPass('schedule');
    assert.equal(first.status, 'running');
    assert.equal(
      await store.finishPass(first.id, {
        status: 'succeeded',
        counts: { 'contact.fromCrm.updated': 3 },
        error: null,
      }),
      true,
    );
    const second = await store.startPass('manual');
    await store.finishPass(second.id, { status: 'failed', counts: {}, error: 'CRM unreachable' });
    const third = await store.startPass('schedule');
    const summary = await store.getPassSummary();
    assert.equal(summary.completed, 2);
    assert.equal(summary.lastError, 'CRM unreachable');
    assert.equal(summary.lastStartedAt, third.startedAt);
    const history = await collectPages((cursor) => store.listPasses({ limit: 2, cursor }));
    assert.deepEqual(
      history.map((pass) => pass.id),
      [third.id, second.id, first.id],
    );
    assert.deepEqual(history[2].counts, { 'contact.fromCrm.updated': 3 });
    assert.equal(await store.finishPass(unknownId, { status: 'aborted', counts: {}, error: null }), false);
  });

  it('throughput counts add up per minute and can be pruned (B6.5)', async (store) => {
    const now = Date.now();
    const minutesAgo = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
    await store.addSyncedCount('contact', 'fromCrm', 5, minutesAgo(0));
    await store.addSyncedCount('contact', 'fromCrm', 7, minutesAgo(0));
    await store.addSyncedCount('contact', 'fromCrm', 11, minutesAgo(90));
    await store.addSyncedCount('contact', 'toCrm', 2, minutesAgo(0));
    assert.equal(await store.countSynced('contact', 'fromCrm', minutesAgo(60)), 12);
    assert.equal(await store.countSynced('contact', 'fromCrm', minutesAgo(24 * 60)), 23);
    assert.equal(await store.countSynced('lead', 'fromCrm', minutesAgo(60)), 0);
    assert.equal(await store.pruneSyncedCounts(minutesAgo(60)), 1);
    assert.equal(await store.countSynced('contact', 'fromCrm', minutesAgo(24 * 60)), 12);
    await rejectsWithCode(store.addSyncedCount('contact', 'fromCrm', -1), 'VALIDATION_FAILED');
  });

  it('notifications: newest first, marked read (B6.6)', async (store) => {
    const first = await store.addNotification({ type: 'initial-load-done', message: 'Initial load done' });
    const second = await store.addNotification({
      type: 'field-quarantined',
      message: 'x',
      details: { attribute: 'new_tier' },
    });
    const listed = await collectPages((cursor) => store.listNotifications({ limit: 1, cursor }));
    assert.deepEqual(
      listed.map((notification) => notification.id),
      [second.id, first.id],
    );
    assert.deepEqual(listed[0].details, { attribute: 'new_tier' });
    assert.equal(await store.markNotificationRead(first.id), true);
    assert.notEqual((await store.listNotifications({ limit: 5 })).items[1].readAt, null);
    assert.equal(await store.markNotificationRead(unknownId), false);
  });

  it('sync fields: selection saved and replaced, states changed with a reason (B5.1, B5.6)', async (store) => {
    const field: SyncFieldInput = {
      entity: 'contact',
      attribute: 'new_tier',
      personField: 'new_tier',
      type: 'string',
      access: { read: true, create: true, update: false },
      selected: true,
      state: 'backfilling',
      stateReason: null,
      policy: null,
      metadata: { options: { '1': 'Gold' } },
    };
    await store.upsertSyncFields([
      field,
      { ...field, entity: 'lead' },
      { ...field, attribute: 'firstname', personField: 'firstName', metadata: null },
    ]);
    await store.upsertSyncFields([{ ...field, policy: 'crm-wins' }]);
    const contact = await store.listSyncFields('contact');
    assert.deepEqual(
      contact.map((row) => row.attribute),
      ['firstname', 'new_tier'],
    );
    const tier = contact[1];
    assert.equal(tier.policy, 'crm-wins');
    assert.equal(tier.selected, true);
    assert.deepEqual(tier.access, { read: true, create: true, update: false });
    assert.deepEqual(tier.metadata, { options: { '1': 'Gold' } });
    assert.equal(contact[0].metadata, null);
    assert.equal(
      await store.setSyncFieldState('contact', 'new_tier', 'quarantined', 'attribute deleted in the CRM'),
      true,
    );
    const quarantined = (await store.listSyncFields('contact'))[1];
    assert.equal(quarantined.state, 'quarantined');
    assert.equal(quarantined.stateReason, 'attribute deleted in the CRM');
    assert.equal(await store.setSyncFieldState('contact', 'nope', 'synced', null), false);
    assert.equal((await store.listSyncFields()).length, 3);
    await rejectsWithCode(
      store.setSyncFieldState('contact', 'new_tier', 'lost' as never, null),
      'VALIDATION_FAILED',
    );
  });

  it('backfill jobs: queued, progressed, resumable position, filtered by status (B5.5)', async (store) => {
    const job = await store.createBackfillJob({ entity: 'contact', attributes: ['new_tier'] });
    assert.equal(job.status, 'queued');
    const other = await store.createBackfillJob({ entity: 'lead', attributes: ['new_tier', 'x'] });
    const running = await store.updateBackfillJob(job.id, {
      status: 'running',
      processed: 500,
      total: 1200,
      position: 'page-3',
    });
    assert.equal(running!.processed, 500);
    assert.equal(running!.total, 1200);
    assert.equal(running!.position, 'page-3');
    assert.deepEqual(running!.attributes, ['new_tier']);
    assert.deepEqual(
      (await store.listBackfillJobs({ limit: 10, status: ['queued', 'running'] })).items.map(
        (item) => item.id,
      ),
      [job.id, other.id],
    );
    await store.updateBackfillJob(job.id, { status: 'done', finishedAt: new Date().toISOString() });
    assert.deepEqual(
      (await store.listBackfillJobs({ limit: 10, status: ['queued', 'running'] })).items.map(
        (item) => item.id,
      ),
      [other.id],
    );
    assert.equal((await store.getBackfillJob(job.id))!.status, 'done');
    assert.equal(await store.updateBackfillJob(unknownId, { processed: 1 }), undefined);
  });

  it('campaigns and their runs: create, read, replace, list, delete with runs (B7.5)', async (store) => {
    const person = await store.createPerson({ email: 'camp@example.com' }, 'api');
    const input = {
      name: 'Welcome',
      enabled: true,
      trigger: { type: 'person-created' },
      filters: [{ field: 'country', equals: 'NO' }],
      steps: [{ action: 'sync-to-crm', syncAs: 'lead' }],
    };
    const campaign = await store.createCampaign(input);
    assert.deepEqual(await store.getCampaign(campaign.id), campaign);
    const replaced = await store.updateCampaign(campaign.id, {
      ...input,
      enabled: false,
      name: 'Welcome v2',
    });
    assert.equal(replaced!.enabled, false);
    assert.equal(replaced!.name, 'Welcome v2');
    assert.equal(await store.updateCampaign(unknownId, input), undefined);
    await store.createCampaign({ ...input, name: 'Second' });
    assert.equal((await collectPages((cursor) => store.listCampaigns({ limit: 1, cursor }))).length, 2);
    await rejectsWithCode(store.createCampaign({ ...input, name: ' ' }), 'VALIDATION_FAILED');

    const run = await store.startCampaignRun(campaign.id, person.id);
    assert.equal(run.status, 'running');
    assert.equal(
      await store.finishCampaignRun(run.id, {
        status: 'succeeded',
        results: [{ step: 0, status: 'created' }],
        error: null,
      }),
      true,
    );
    const runs = await store.listCampaignRuns(campaign.id, { limit: 10 });
    assert.equal(runs.items[0].status, 'succeeded');
    assert.deepEqual(runs.items[0].results, [{ step: 0, status: 'created' }]);
    await rejectsWithCode(store.startCampaignRun(unknownId, person.id), 'NOT_FOUND');

    assert.equal(await store.deleteCampaign(campaign.id), true);
    assert.equal(await store.deleteCampaign(campaign.id), false);
    assert.equal(await store.getCampaign(campaign.id), undefined);
    assert.deepEqual((await store.listCampaignRuns(campaign.id, { limit: 10 })).items, []);
  });

  it('merging persons moves activities, links and conflicts; the loser id resolves to the survivor (B3.5)', async (store) => {
    const survivor = await store.createPerson({ email: 'master@example.com' }, 'sync');
    const loser = await store.createPerson({ email: 'sub@example.com' }, 'sync');
    const earlier = await store.createPerson({ email: 'earlier@example.com' }, 'sync');
    await store.appendActivity(loser.id, 'crm.created-person', {});
    await link(store, 'contact', 'C-sub', loser.id, 'superseded');
    await store.setBases('contact', 'C-sub', { email: 'sub@example.com' });
    // A person merged earlier into the loser must follow it to the survivor.
    await store.mergePersonInto(earlier.id, loser.id, 'sync');
    await store.mergePersonInto(loser.id, survivor.id, 'sync');

    assert.equal(await store.getPerson(loser.id), undefined);
    assert.equal(await store.resolvePersonId(loser.id), survivor.id);
    assert.equal(await store.resolvePersonId(earlier.id), survivor.id);
    assert.equal(await store.resolvePersonId(survivor.id), survivor.id);
    assert.equal(await store.resolvePersonId(unknownId), undefined);
    assert.equal((await store.listActivities(survivor.id, { limit: 10 })).items.length, 1);
    assert.equal((await store.getLink('contact', 'C-sub'))!.personId, survivor.id);
    assert.equal((await store.getBases('contact', 'C-sub')).get('email'), 'sub@example.com');
    await rejectsWithCode(store.mergePersonInto(survivor.id, survivor.id, 'sync'), 'VALIDATION_FAILED');
    await rejectsWithCode(store.mergePersonInto(unknownId, survivor.id, 'sync'), 'NOT_FOUND');
  });
}
