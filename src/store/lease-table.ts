import type { LeaseGrant } from './lease-fence.ts';

/** One `syncline start` process of a cluster (B2.9). `token` is random per process; `id` is its configured name. */
export interface ReplicaInfo {
  readonly id: string;
  readonly token: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: Date;
}

/** A lease just taken, and whose it was before (for the log and the takeover count). */
export interface AcquiredLease {
  readonly grant: LeaseGrant;
  /** The replica id that held it last; null when nobody ever held it. */
  readonly previousHolder: string | null;
  /** The previous hold had expired rather than been released: its holder died, froze or was cut off. */
  readonly takeover: boolean;
}

/** `GET /api/v1/cluster` (interfaces.md §4). */
export interface ClusterView {
  replicas: {
    readonly id: string;
    readonly host: string;
    readonly pid: number;
    readonly startedAt: string;
    readonly lastSeenAt: string;
    leases: string[];
  }[];
  leases: {
    readonly name: string;
    readonly holder: string | null;
    readonly epoch: number;
    readonly expiresAt: string | null;
  }[];
}

/** What `/metrics` counts per lease (B2.9), since this process started. */
export interface LeaseCounters {
  /** Leases taken from a holder whose hold had expired (it died, froze or was cut off). */
  readonly takeovers: number;
  readonly renewFailures: number;
}

/** The cluster as the API shows it: `GET /api/v1/cluster` and the lease metrics. */
export interface ClusterAdmin {
  view(): Promise<ClusterView>;
  counters(): ReadonlyMap<string, LeaseCounters>;
}

/**
 * The cluster's leases and replicas as stored in PostgreSQL (B2.9): plain SQL on two tables, every time the
 * database's own clock. A lease is taken only when free or expired, and each taking adds one to its epoch (the
 * fencing token every fenced commit checks: `Store.withFence`); renewing keeps the epoch and needs it
 * unchanged. Every call is bounded in time (a replica cut off from PostgreSQL learns it within seconds).
 */
export interface LeaseTable {
  /** Records that `replica` is alive now; forgets replicas not seen for `forgetAfterSeconds`. */
  heartbeat(replica: ReplicaInfo, forgetAfterSeconds: number): Promise<void>;
  /** Takes lease `name` for `seconds` if nobody holds it or its hold expired; undefined otherwise. */
  tryAcquire(name: string, replica: ReplicaInfo, seconds: number): Promise<AcquiredLease | undefined>;
  /** Extends a hold by `seconds` from now; false when the grant is no longer the lease's (taken over). */
  renew(grant: LeaseGrant, seconds: number): Promise<boolean>;
  /** Gives a hold up at once, so another replica takes it at its next attempt. */
  release(grant: LeaseGrant): Promise<void>;
  /** Removes the replica's heartbeat row (a clean stop). */
  leave(replica: ReplicaInfo): Promise<void>;
  view(): Promise<ClusterView>;
  close(): Promise<void>;
}
