import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterWorld, leaseSeconds } from './cluster-world.ts';

/**
 * Issue 15 acceptance, fencing (B2.9): a holder frozen past its lease (SIGSTOP of its engine while it has work in
 * flight), then thawed (SIGCONT) after another replica took the lease over, commits nothing stale — the audit
 * trigger (cluster-world.ts) sees no row of sync state it committed while the other replica held the lease —
 * logs that it lost the lease, stays a standby, and both sides converge on the right values.
 *
 * The holder is frozen while the emulator holds back an answer to it (injected latency, after the request took
 * effect): thawed, it gets the answer at once and goes on to commit what it read or wrote — racing its own
 * discovery that the lease is gone, which is why the database's fence, not that discovery, must refuse it.
 */

let world: ClusterWorld;
before(async () => {
  world = await ClusterWorld.open();
  await world.start('r1');
  await world.waitForLease('sync', (lease) => lease.holder === 'r1', 15_000);
  await world.start('r2');
});
after(() => world?.close());

test('B2.9 a holder frozen past its lease and thawed after a takeover commits nothing stale', async (t) => {
  const [frozen, standby] = [world.replica('r1'), world.replica('r2')];
  await world.waitForInitialLoad(frozen);
  const held = await world.lease('sync', standby);
  assert.equal(held.holder, 'r1');
  const [frozenMarketing, frozenCrm, afterMarketing, afterCrm] = await world.contactPersons(standby, 4);

  // Work for the holder on both sides, and the freeze while it waits for the CRM's answer.
  await world.editPerson(standby, frozenMarketing!.personId, 'marketing before the freeze');
  await world.editContact(frozenCrm!.crmId, 'CRM before the freeze');
  await world.holdNextSyncAnswer(2_000);
  const pid = await world.freeze(frozen);
  await world.latencyOff();
  const frozenAt = Date.now();

  // Lease + one renewal, or up to the server's 10-s limit when the freeze caught a transaction open.
  const next = await world.waitForLease('sync', (lease) => lease.holder === 'r2', 25_000, standby);
  t.diagnostic(`takeover of a frozen holder: ${next.seenAt - frozenAt} ms (lease ${leaseSeconds} s)`);
  assert.ok(next.epoch > held.epoch);
  await world.editContact(frozenMarketing!.crmId, 'CRM after the takeover');
  await world.editPerson(standby, afterMarketing!.personId, 'marketing after the takeover');
  await world.editContact(afterCrm!.crmId, 'CRM after the takeover');
  // Let the new holder get going with the edits before the old one wakes up beside it.
  await sleep(1_000);

  // Its lease bookkeeping stalls for a few seconds after the thaw (as when the lease table's connection is slow
  // to come back): the engine works on with the grant it still believes in, so what keeps it from committing
  // is the database's fence alone, not the replica noticing the loss first.
  const unstall = await world.stallHeartbeat(frozen);
  const thawedAt = Date.now();
  world.thaw(pid);
  await sleep(4_000);
  await unstall();
  await world.waitForLog(frozen, /lost the sync lease/, 10_000);
  t.diagnostic(`thawed holder noticed the loss: ${Date.now() - thawedAt} ms`);
  assert.deepEqual(
    await world.staleCommits(),
    [],
    'the thawed replica committed nothing under the old epoch',
  );
  const refused = world.logLines(frozen, /LEASE_LOST/).length;
  t.diagnostic(`its fenced commits refused: ${refused} log lines`);
  assert.ok(refused > 0, 'the thawed holder tried to commit, and the fence refused it');

  // The values each side must end with: a collision on a contact keeps the CRM's value (B4.3).
  await world.waitForConverged(standby, frozenMarketing!, 'CRM after the takeover');
  await world.waitForConverged(standby, frozenCrm!, 'CRM before the freeze');
  await world.waitForConverged(standby, afterMarketing!, 'marketing after the takeover');
  await world.waitForConverged(standby, afterCrm!, 'CRM after the takeover');
  assert.deepEqual(await world.passWrites(standby), [], 'one more pass writes nothing');

  const commits = await world.commitsByReplica();
  assert.ok(
    commits.r1! > 0 && commits.r2! > 0,
    `the audit saw both replicas' work: ${JSON.stringify(commits)}`,
  );
  assert.deepEqual(await world.staleCommits(), [], 'nor later');

  // It rejoined as a standby: alive (heartbeats after the thaw), serving the API, holding nothing.
  // Its first heartbeats after the thaw may wait behind the row the test kept locked and a loaded machine: wait.
  let entry: any;
  const seenDeadline = Date.now() + 20_000;
  for (;;) {
    const view = await world.view(frozen);
    entry = view.replicas.find((replica: any) => replica.id === 'r1');
    if ((entry && Date.parse(entry.lastSeenAt) >= thawedAt - 1_000) || Date.now() > seenDeadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.deepEqual(entry?.leases, []);
  assert.ok(Date.parse(entry.lastSeenAt) >= thawedAt - 1_000, `seen since the thaw: ${entry?.lastSeenAt}`);
  assert.equal((await world.lease('sync', frozen)).holder, 'r2');
  const metrics = await frozen.process.api('GET', '/metrics');
  assert.match(metrics.text, /syncline_lease_takeovers_total\{lease="sync"\} 0\b/);
  const standbyMetrics = await standby.process.api('GET', '/metrics');
  assert.match(standbyMetrics.text, /syncline_lease_takeovers_total\{lease="sync"\} 1\b/);
});
