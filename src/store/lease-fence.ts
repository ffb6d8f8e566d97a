/**
 * A unit of sync work's lease as the store sees it (B2.9): which lease, whose hold (the holding process's
 * random token, not its replica id, so a restarted replica of the same name is a new holder) and the fencing
 * epoch, which grows on every takeover. Made by the cluster (runtime/cluster-member.ts).
 */
export interface LeaseGrant {
  readonly name: string;
  readonly token: string;
  readonly epoch: number;
}

/**
 * Where a fenced store (`Store.withFence`) reads the grant it must still hold when a transaction starts:
 * `undefined` while the lease is not held (never taken, lost or released), so work that outlived its lease
 * fails at its next commit instead of writing stale sync state.
 */
export interface LeaseFence {
  current(): LeaseGrant | undefined;
}
