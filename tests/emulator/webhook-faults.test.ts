import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminToken,
  errorOf,
  openEmulator,
  syncToken,
  type EmulatorContext,
} from './emulator-test-context.ts';
import { openHookReceiver, type HookReceiver } from './hook-receiver.ts';
import { createEndpoint, registerStep, removeWebhook, renameContact } from './webhook-steps.ts';

/**
 * Failed deliveries, the one retry on 502/503/504 and system jobs as "Use webhooks to create external handlers
 * for server events" and "Register a WebHook" describe them; the emulator's own switches (drop, reorder)
 * behind `PUT /_emulator/webhooks`.
 */
describe('emulator webhooks: retries, system jobs, drop and reorder switches (reference §11)', () => {
  let ctx: EmulatorContext;
  let hooks: HookReceiver;
  before(async () => {
    ctx = await openEmulator({ seed: 'demo', contacts: 4, accounts: 1, leads: 1 });
    hooks = await openHookReceiver();
  });
  after(async () => {
    await ctx.close();
    await hooks.close();
  });
  afterEach(async () => {
    hooks.received.length = 0;
    hooks.statuses.length = 0;
    await ctx.request('PUT', '/_emulator/webhooks', { token: adminToken, body: {} });
  });

  const admin = { token: adminToken };
  /** One endpoint with one step; runs `fn` with the step id, then removes both. */
  const withWebhook = async (step: Record<string, unknown>, fn: (stepId: string) => Promise<void>) => {
    const endpoint = await createEndpoint(ctx, {
      name: 'faults',
      contract: 8,
      url: hooks.url,
      authtype: 4,
      authvalue: 'k',
    });
    const stepId = await registerStep(ctx, endpoint.url, step);
    try {
      await fn(stepId);
    } finally {
      await removeWebhook(ctx, endpoint.id, [stepId]);
    }
  };
  /** The query "Register a WebHook" gives for a step's failed system jobs. */
  const failedJobs = async (stepId: string) => {
    const response = await ctx.request(
      'GET',
      `asyncoperations?$orderby=completedon desc&$filter=statuscode eq 31 and _owningextensionid_value eq ${stepId}&$select=name,friendlymessage,errorcode,message,completedon`,
      admin,
    );
    assert.equal(response.status, 200, response.text);
    return response.json.value as Array<Record<string, unknown>>;
  };
  const jobsOf = async (stepId: string) =>
    (
      await ctx.request(
        'GET',
        `asyncoperations?$select=statecode,statuscode,operationtype,messagename,primaryentitytype,_regardingobjectid_value&$filter=_owningextensionid_value eq ${stepId}`,
        admin,
      )
    ).json.value as Array<Record<string, unknown>>;
  const stats = async () => (await ctx.request('GET', '/_emulator/stats', admin)).json.webhooks;

  test('a 503 gets one more attempt with the same context; success leaves no system job (asyncautodelete)', async () => {
    await withWebhook({}, async (stepId) => {
      const before = await stats();
      hooks.statuses.push(503);
      await renameContact(ctx, 'Retried');
      assert.equal(hooks.received.length, 2, 'the first POST and one more attempt');
      const [first, second] = hooks.received;
      assert.equal(
        first.headers['x-ms-correlation-request-id'],
        second.headers['x-ms-correlation-request-id'],
      );
      assert.equal(first.body, second.body);
      const after = await stats();
      assert.equal(after.retried - before.retried, 1);
      assert.equal(after.delivered - before.delivered, 1);
      assert.deepEqual(await jobsOf(stepId), [], 'asyncautodelete: a succeeded job is not kept');
    });
  });

  test('502 twice fails after two attempts and leaves a Failed system job the documented query finds', async () => {
    await withWebhook({}, async (stepId) => {
      hooks.statuses.push(502, 502);
      const contactId = await renameContact(ctx, 'Failing');
      assert.equal(hooks.received.length, 2, 'one more attempt only');
      const failed = await failedJobs(stepId);
      assert.equal(failed.length, 1);
      assert.equal(failed[0].name, 'contact Update webhook');
      assert.match(String(failed[0].message), /HTTP 502/);
      assert.match(String(failed[0].friendlymessage), /HTTP 502/);
      assert.equal(typeof failed[0].completedon, 'string');
      const [job] = await jobsOf(stepId);
      assert.equal(job.statecode, 3, 'Completed');
      assert.equal(job.statuscode, 31, 'Failed');
      assert.equal(job.operationtype, 1, 'System Event');
      assert.equal(job.messagename, 'Update');
      assert.equal(job.primaryentitytype, 'contact');
      assert.equal(job._regardingobjectid_value, contactId);
    });
  });

  test('a 500 is not retried; a sync step leaves no system job; a kept success is Succeeded (30)', async () => {
    await withWebhook({ mode: 0 }, async (stepId) => {
      hooks.statuses.push(500);
      await renameContact(ctx, 'NoRetry');
      assert.equal(hooks.received.length, 1);
      assert.deepEqual(await jobsOf(stepId), [], 'synchronous steps have no system job');
    });
    hooks.received.length = 0;
    await withWebhook({ asyncautodelete: false }, async (stepId) => {
      await renameContact(ctx, 'Kept');
      assert.equal(hooks.received.length, 1);
      const jobs = await jobsOf(stepId);
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0].statuscode, 30, 'Succeeded');
      assert.deepEqual(await failedJobs(stepId), []);
    });
  });

  test('PUT /_emulator/webhooks {dropRate: 1} loses deliveries until switched off', async () => {
    await withWebhook({}, async (stepId) => {
      const before = await stats();
      const put = await ctx.request('PUT', '/_emulator/webhooks', { ...admin, body: { dropRate: 1 } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.json, { seed: 0, dropRate: 1, order: 'commit', holdMs: 1000 });
      await renameContact(ctx, 'Lost');
      assert.equal(hooks.received.length, 0, 'the change happened, the webhook never came');
      assert.deepEqual(await jobsOf(stepId), [], 'a lost webhook leaves no trace in Dataverse either');
      assert.equal((await stats()).dropped - before.dropped, 1);

      await ctx.request('PUT', '/_emulator/webhooks', { ...admin, body: {} });
      await renameContact(ctx, 'Found');
      assert.equal(hooks.received.length, 1);
    });
  });

  test('the webhooks control route is admin only and validates its body', async () => {
    const read = await ctx.request('GET', '/_emulator/webhooks', admin);
    assert.deepEqual(read.json, { seed: 0, dropRate: 0, order: 'commit', holdMs: 1000 });
    const bySyncUser = await ctx.request('PUT', '/_emulator/webhooks', { token: syncToken, body: {} });
    assert.equal(bySyncUser.status, 403);
    const bad = await ctx.request('PUT', '/_emulator/webhooks', {
      ...admin,
      body: { dropRate: 2, order: 'sideways', typo: 1 },
    });
    assert.equal(bad.status, 400);
    assert.match(errorOf(bad).message, /dropRate must be between 0 and 1/);
    assert.match(errorOf(bad).message, /order must be commit, reverse or shuffle/);
    assert.match(errorOf(bad).message, /unknown setting typo/);
  });

  test('order: reverse sends held asynchronous deliveries newest first', async () => {
    await withWebhook({}, async () => {
      await ctx.request('PUT', '/_emulator/webhooks', {
        ...admin,
        body: { order: 'reverse', holdMs: 600_000 },
      });
      const ids: string[] = [];
      for (const [index, name] of ['First', 'Second', 'Third'].entries()) {
        const contacts = await ctx.request('GET', `contacts?$top=3&$select=contactid&$orderby=contactid`);
        const id = contacts.json.value[index].contactid as string;
        ids.push(id);
        assert.equal(
          (await ctx.request('PATCH', `contacts(${id})`, { body: { firstname: name } })).status,
          204,
        );
      }
      assert.equal(hooks.received.length, 0, 'held while the window is open');
      await ctx.emulator.webhooks.idle();
      const order = hooks.received.map(
        (hook) => (JSON.parse(hook.body) as { PrimaryEntityId: string }).PrimaryEntityId,
      );
      assert.deepEqual(order, [...ids].reverse());
      assert.equal((await stats()).reordered >= 3, true);
    });
  });

  test('a $batch changeset is held as one group and released when holdMs has passed', async () => {
    await withWebhook({}, async () => {
      await ctx.request('PUT', '/_emulator/webhooks', { ...admin, body: { order: 'reverse', holdMs: 0 } });
      const contacts = await ctx.request('GET', `contacts?$top=2&$select=contactid&$orderby=contactid`);
      const ids = (contacts.json.value as Array<{ contactid: string }>).map((c) => c.contactid);
      const part = (id: string, n: number, name: string) =>
        [
          '--cs',
          'Content-Type: application/http',
          'Content-Transfer-Encoding: binary',
          `Content-ID: ${n}`,
          '',
          `PATCH ${ctx.api}contacts(${id}) HTTP/1.1`,
          'Content-Type: application/json',
          '',
          JSON.stringify({ firstname: name }),
        ].join('\r\n');
      const body = [
        '--batch',
        'Content-Type: multipart/mixed; boundary=cs',
        '',
        part(ids[0], 1, 'Batched1'),
        part(ids[1], 2, 'Batched2'),
        '--cs--',
        '--batch--',
        '',
      ].join('\r\n');
      const response = await fetch(`${ctx.api}$batch`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${syncToken}`,
          'Content-Type': 'multipart/mixed; boundary=batch',
          Accept: 'application/json',
        },
        body,
      });
      assert.equal(response.status, 200, await response.text());
      // No idle(): the hold timer releases them (waiting is bounded, not measured).
      for (let waited = 0; hooks.received.length < 2 && waited < 30_000; waited += 20) await sleep(20);
      const order = hooks.received.map(
        (hook) => (JSON.parse(hook.body) as { PrimaryEntityId: string }).PrimaryEntityId,
      );
      assert.deepEqual(order, [ids[1], ids[0]]);
    });
  });
});
