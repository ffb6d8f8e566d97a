import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../engine/sync-world.ts';
import { ClusterWorld, leaseSeconds } from './cluster-world.ts';
import { createNetNamespace, netNamespaceUnavailable, type NetNamespace } from './net-namespace.ts';
import { startTcpForwarder, type TcpForwarder } from './tcp-forwarder.ts';

/**
 * Issue 15 acceptance, partition (B2.9): a replica in a network namespace of its own (veth to this host) holds
 * the sync lease; its link goes down while it waits for the CRM mid-pass → the replica outside takes over;
 * when the link returns, the cut-off replica commits nothing stale (the audit trigger of cluster-world.ts),
 * heartbeats again as a standby, and — once the other replica stops — takes the sync back: it rejoined
 * without a restart. PostgreSQL and the emulator listen on loopback, so the namespace reaches them through
 * TCP forwarders on the host side of the veth; the link itself is what goes down.
 */

const unavailable = netNamespaceUnavailable();

let world: ClusterWorld;
let namespace: NetNamespace | undefined;
const forwarders: TcpForwarder[] = [];
before(async () => {
  if (unavailable !== undefined) return;
  world = await ClusterWorld.open();
  namespace = await createNetNamespace();
});
after(async () => {
  // Whatever failed: bring the link back so the replica inside can stop, then remove everything.
  await namespace?.restore().catch(() => undefined);
  await world?.close();
  for (const forwarder of forwarders) await forwarder.close();
  await namespace?.remove();
});

test(
  'B2.9 a replica cut off from PostgreSQL mid-pass loses the lease, commits nothing stale and rejoins',
  { skip: unavailable },
  async (t) => {
    const ns = namespace!;
    const database = new URL(world.databaseUrl);
    const emulator = new URL(world.emulator.url);
    const toDatabase = await startTcpForwarder(ns.hostIp, {
      host: database.hostname,
      port: Number(database.port || 5432),
    });
    const toCrm = await startTcpForwarder(ns.hostIp, {
      host: emulator.hostname,
      port: Number(emulator.port),
    });
    forwarders.push(toDatabase, toCrm);
    database.host = `${ns.hostIp}:${toDatabase.port}`;
    emulator.host = `${ns.hostIp}:${toCrm.port}`;

    const isolated = await world.start('r1', {
      wrapper: ns.wrapper,
      env: {
        SYNCLINE_DB: database.toString(),
        SYNCLINE_DYNAMICS_URL: emulator.toString().replace(/\/$/, ''),
        SYNCLINE_HOST: ns.nsIp,
      },
    });
    assert.ok(isolated.process.url.includes(ns.nsIp), isolated.process.url);
    const held = await world.waitForLease('sync', (lease) => lease.holder === 'r1', 15_000);
    await world.waitForInitialLoad(isolated);
    const outside = await world.start('r2');
    const [cutMarketing, cutCrm, afterMarketing, afterCrm] = await world.contactPersons(outside, 4);

    // Edits for the holder on both sides, and the cut while it waits for the CRM's answer mid-pass.
    await world.editPerson(outside, cutMarketing!.personId, 'marketing before the cut');
    await world.editContact(cutCrm!.crmId, 'CRM before the cut');
    await world.holdNextSyncAnswer(2_000);
    await ns.cut();
    const cutAt = Date.now();
    await world.latencyOff();

    // Lease + one renewal, or up to the server's 10-s limit when the cut caught a transaction open.
    const next = await world.waitForLease('sync', (lease) => lease.holder === 'r2', 25_000, outside);
    t.diagnostic(`takeover from a cut-off holder: ${next.seenAt - cutAt} ms (lease ${leaseSeconds} s)`);
    assert.ok(next.epoch > held.epoch);
    await world.editContact(cutMarketing!.crmId, 'CRM after the takeover');
    await world.editPerson(outside, afterMarketing!.personId, 'marketing after the takeover');
    await world.editContact(afterCrm!.crmId, 'CRM after the takeover');
    // Cut off, it cannot renew: it stops the work by itself within the lease (+ the renewal's own timeout).
    await world.waitForLog(isolated, /lost the sync lease \(could not renew it/, 15_000);
    await sleep(1_000);

    await ns.restore();
    const restoredAt = Date.now();
    // Back on the network it heartbeats again, holding nothing.
    await waitFor(
      'the cut-off replica to heartbeat again',
      async () => {
        const view = await world.view(outside);
        const entry = view.replicas.find((replica: any) => replica.id === 'r1');
        return entry !== undefined && Date.parse(entry.lastSeenAt) > restoredAt ? entry : undefined;
      },
      20_000,
    ).then((entry) => assert.deepEqual(entry.leases, []));
    t.diagnostic(`heartbeat again ${Date.now() - restoredAt} ms after the link returned`);
    // Its API answers again, and it did not take the lease back. Not "r2 holds": r2 renews its 3-s lease every
    // second, and on a saturated machine (the whole suite at once) the lease once showed no holder at this
    // point — a renewal late enough to let the hold lapse, which the protocol allows and this test is not about.
    // (One way a renewal could be late, since mended: it waited for the holder's own page transactions.)
    const after = await world.lease('sync', isolated);
    assert.notEqual(after.holder, 'r1', 'the cut-off replica does not hold the sync lease after it rejoined');
    t.diagnostic(`lease after the link returned: ${after.holder ?? 'no holder'}, epoch ${after.epoch}`);

    await world.waitForConverged(outside, cutMarketing!, 'CRM after the takeover');
    await world.waitForConverged(outside, cutCrm!, 'CRM before the cut');
    await world.waitForConverged(outside, afterMarketing!, 'marketing after the takeover');
    await world.waitForConverged(outside, afterCrm!, 'CRM after the takeover');
    assert.deepEqual(
      await world.staleCommits(),
      [],
      'the cut-off replica committed nothing under the old epoch',
    );
    const metrics = await isolated.process.api('GET', '/metrics');
    assert.match(metrics.text, /syncline_lease_renew_failures_total\{lease="sync"\} [1-9]/);

    // It rejoined for real: when r2 stops, r1 takes the sync back and runs passes under a new epoch.
    const passesBefore = (await isolated.process.api('GET', '/api/v1/sync/status')).body.passes.completed;
    await outside.process.stop();
    const back = await world.waitForLease('sync', (lease) => lease.holder === 'r1', 10_000, isolated);
    assert.ok(back.epoch > next.epoch);
    await world.editPerson(isolated, afterMarketing!.personId, 'marketing after the rejoin');
    await world.waitForConverged(isolated, afterMarketing!, 'marketing after the rejoin');
    await waitFor('a pass of the rejoined replica', async () => {
      const { body } = await isolated.process.api('GET', '/api/v1/sync/status');
      return body.passes.completed > passesBefore ? true : undefined;
    });
    const commits = await world.commitsByReplica();
    assert.ok(commits.r1! > 0 && commits.r2! > 0, JSON.stringify(commits));
    assert.deepEqual(await world.staleCommits(), []);
  },
);
