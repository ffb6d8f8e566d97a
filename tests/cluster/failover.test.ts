import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { ClusterWorld, leaseSeconds, signalGroup, type Replica } from './cluster-world.ts';

/**
 * B2.9 failover over real processes (issue 15 item 3): three `syncline start` replicas on one PostgreSQL schema
 * against the emulator process. SIGKILL of the holder's engine → another replica takes the `sync` lease within
 * the lease + one renewal (+ slack for a loaded machine), with a higher epoch, counted as a takeover; edits made on
 * both sides before and after the kill converge and one more pass writes nothing. SIGTERM of the holder hands
 * the lease over at once (released, not expired).
 */

/** Slack over the lease + one renewal for a machine shared with other work (2 cores). */
const slackMs = 4_000;
const renewalMs = (leaseSeconds * 1000) / 3;

describe('failover of a three-replica cluster (B2.9)', () => {
  let world: ClusterWorld;
  before(async () => {
    world = await ClusterWorld.open();
    await Promise.all(['r1', 'r2', 'r3'].map((id) => world.start(id)));
  });
  after(() => world?.close());

  async function holderOfSync(): Promise<{ replica: Replica; epoch: number }> {
    const state = await world.waitForLease('sync', (lease) => lease.holder !== null, 15_000);
    return { replica: world.replica(state.holder!), epoch: state.epoch };
  }

  test('SIGKILL of the holder: another replica takes the lease within lease + one renewal, and edits on both sides converge', async (t) => {
    const first = await holderOfSync();
    await world.waitForInitialLoad(first.replica);
    const others = world.live.filter((replica) => replica !== first.replica);
    const [beforeMarketing, beforeCrm, afterMarketing, afterCrm] = await world.contactPersons(others[0]!, 4);

    // Edits on both sides, then the kill at once: the holder may be pushing or pulling them right now.
    await world.editPerson(others[0]!, beforeMarketing!.personId, 'marketing before the kill');
    await world.editContact(beforeCrm!.crmId, 'CRM before the kill');
    const pid = await world.enginePid(first.replica);
    const exited = once(first.replica.process.child, 'exit');
    const killedAt = Date.now();
    assert.ok(signalGroup(pid, 'SIGKILL'));
    await exited;

    const next = await world.waitForLease(
      'sync',
      (lease) => lease.holder !== null && lease.holder !== first.replica.id,
      leaseSeconds * 1000 + renewalMs + slackMs + 5_000,
      others[0],
    );
    const tookMs = next.seenAt - killedAt;
    t.diagnostic(`takeover after SIGKILL: ${tookMs} ms (lease ${leaseSeconds} s)`);
    assert.ok(
      tookMs <= leaseSeconds * 1000 + renewalMs + slackMs,
      `another replica held the lease ${tookMs} ms after the kill`,
    );
    assert.ok(next.epoch > first.epoch, `the epoch grew: ${first.epoch} → ${next.epoch}`);
    const holder = world.replica(next.holder!);
    assert.notEqual(holder, first.replica);
    await world.waitForLog(holder, /took over the sync lease from r\d \(its hold expired\)/, 5_000);
    const metrics = await holder.process.api('GET', '/metrics');
    assert.match(metrics.text, /syncline_lease_takeovers_total\{lease="sync"\} 1\b/);

    await world.editPerson(holder, afterMarketing!.personId, 'marketing after the kill');
    await world.editContact(afterCrm!.crmId, 'CRM after the kill');
    await world.waitForConverged(holder, beforeMarketing!, 'marketing before the kill');
    await world.waitForConverged(holder, beforeCrm!, 'CRM before the kill');
    await world.waitForConverged(holder, afterMarketing!, 'marketing after the kill');
    await world.waitForConverged(holder, afterCrm!, 'CRM after the kill');
    assert.deepEqual(await world.passWrites(holder), [], 'one more pass writes nothing');

    const view = await world.view(holder);
    assert.deepEqual(
      view.replicas.find((replica: any) => replica.id === holder.id)?.leases.includes('sync'),
      true,
    );
    const commits = await world.commitsByReplica();
    assert.ok(commits[first.replica.id]! > 0 && commits[holder.id]! > 0, JSON.stringify(commits));
    assert.deepEqual(await world.staleCommits(), [], 'no replica committed sync state without the lease');
  });

  test('SIGTERM of the holder hands the lease over at once', async (t) => {
    const current = await holderOfSync();
    const standby = world.live.find((replica) => replica !== current.replica)!;
    const stoppedAt = Date.now();
    const stopping = current.replica.process.stop();
    const next = await world.waitForLease(
      'sync',
      (lease) => lease.holder !== null && lease.holder !== current.replica.id,
      10_000,
      standby,
    );
    const tookMs = next.seenAt - stoppedAt;
    t.diagnostic(`hand-over after SIGTERM: ${tookMs} ms`);
    await stopping;
    assert.ok(tookMs <= 2_000 + slackMs / 2, `another replica held the lease ${tookMs} ms after SIGTERM`);
    assert.ok(next.epoch > current.epoch);
    assert.match(current.replica.process.output(), /released the lease/);
    const holder = world.replica(next.holder!);
    await world.waitForLog(holder, /"took the sync lease"/, 5_000);
    // Released, not left to expire: an expired hold would be taken over (and logged so), a second or two later.
    assert.deepEqual(world.logLines(holder, /took over the sync lease/), [], 'a hand-over is not a takeover');
    assert.equal(holder.process.child.exitCode, null);
    assert.deepEqual(await world.staleCommits(), []);
  });
});
