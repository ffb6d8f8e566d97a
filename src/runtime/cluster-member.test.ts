import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../logging/logger.ts';
import type { LeaseGrant } from '../store/lease-fence.ts';
import type { LeaseTable, ReplicaInfo } from '../store/lease-table.ts';
import { ClusterMember } from './cluster-member.ts';

/**
 * The member's own decisions, over a lease table kept in memory (the PostgreSQL table and the fence are tested over
 * real processes in tests/cluster/): what it does when the work of a lease it took fails to start.
 */
function memoryTable() {
  const held = new Map<string, LeaseGrant>();
  let epoch = 0;
  const released: LeaseGrant[] = [];
  const table: LeaseTable = {
    heartbeat: async () => undefined,
    async tryAcquire(name, replica) {
      if (held.has(name)) return undefined;
      epoch += 1;
      const grant = { name, token: replica.token, epoch };
      held.set(name, grant);
      return { grant, previousHolder: null, takeover: false };
    },
    renew: async (grant) => held.get(grant.name)?.epoch === grant.epoch,
    async release(grant) {
      if (held.get(grant.name)?.epoch === grant.epoch) held.delete(grant.name);
      released.push(grant);
    },
    leave: async () => undefined,
    view: async () => ({ replicas: [], leases: [] }),
    close: async () => undefined,
  };
  return { table, held, released };
}

const replica: ReplicaInfo = { id: 'a', token: 't-a', host: 'h', pid: 1, startedAt: new Date() };

test('B2.9: work that fails to start gives its lease up, and the next round takes it and starts the work again', async () => {
  const { table, held, released } = memoryTable();
  const member = new ClusterMember(table, replica, 3, silentLogger());
  let starts = 0;
  member.hold('sync', {
    async start() {
      starts += 1;
      if (starts === 1) throw new Error('the CRM could not be reached');
    },
    stop: async () => undefined,
  });
  await member.start();
  assert.equal(starts, 1);
  assert.equal(member.holds('sync'), false, 'not held while its work does not run');
  assert.equal(member.fence('sync').current(), undefined, 'its fence refuses commits');
  assert.deepEqual(
    released.map((grant) => grant.epoch),
    [1],
    'released for anyone to take',
  );
  const deadline = Date.now() + 3_000;
  while (starts < 2 && Date.now() < deadline) await sleep(50);
  assert.equal(starts, 2, 'taken again at the next round, and started');
  assert.equal(member.holds('sync'), true);
  assert.equal(held.get('sync')?.epoch, 2, 'under a new epoch');
  await member.stop();
  assert.equal(held.has('sync'), false, 'released at stop');
});
