import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/logger.ts';
import type { LeaseFence, LeaseGrant } from '../store/lease-fence.ts';
import type { ClusterView, LeaseCounters, LeaseTable, ReplicaInfo } from '../store/lease-table.ts';

/** Sync work held through a lease: started when the lease is taken, stopped (at a safe boundary) when it is lost. */
export interface LeaseWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How often a replica looks for a free or expired lease: a hand-over is taken within this long. */
const attemptEveryMs = 1_000;

interface LeaseState {
  readonly name: string;
  readonly work: LeaseWork;
  grant: LeaseGrant | undefined;
  /** Local time at which the last successful renewal (or the acquisition) was sent. */
  renewedAt: number;
  /** The work's start or stop in progress: no new transition until it settled. */
  transition: Promise<void> | undefined;
  takeovers: number;
  renewFailures: number;
  /** Told the log that another replica holds it (once per wait). */
  waiting: boolean;
}

/**
 * This process as a member of a PostgreSQL cluster (B2.9). Each unit of sync work (`hold`) runs only while this
 * replica holds its lease: a standby tries every second to take a free or expired lease, a holder renews every
 * third of `leaseSeconds`. The database's clock decides expiry, so clock skew between machines does not matter.
 *
 * A holder that cannot renew for `leaseSeconds` (cut off, or frozen and then resumed) stops the work: by then
 * another replica may hold the lease with a higher epoch. Stopping is only for liveness — what guarantees that
 * nothing stale is committed is the fence every commit checks in the database (`Store.withFence`). A lost
 * lease's work is started again if the lease is taken again later, so a replica rejoins without a restart.
 */
export class ClusterMember {
  readonly replica: ReplicaInfo;
  readonly #table: LeaseTable;
  readonly #leaseSeconds: number;
  readonly #log: Logger;
  readonly #leases = new Map<string, LeaseState>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #lastHeartbeat = 0;
  #stopped = false;

  constructor(table: LeaseTable, replica: ReplicaInfo, leaseSeconds: number, logger: Logger) {
    this.#table = table;
    this.replica = replica;
    this.#leaseSeconds = leaseSeconds;
    this.#log = logger.child({ component: 'cluster', replica: replica.id });
  }

  get #renewEveryMs(): number {
    return (this.#leaseSeconds * 1000) / 3;
  }

  /** Registers a unit of work held through lease `name`; call before `start`. */
  hold(name: string, work: LeaseWork): void {
    this.#leases.set(name, {
      name,
      work,
      grant: undefined,
      renewedAt: 0,
      transition: undefined,
      takeovers: 0,
      renewFailures: 0,
      waiting: false,
    });
  }

  /** The fence of lease `name` for `Store.withFence`: the current grant, or none while not held. */
  fence(name: string): LeaseFence {
    return { current: () => this.#leases.get(name)?.grant };
  }

  /** Whether this replica holds lease `name` now. */
  holds(name: string): boolean {
    return this.#leases.get(name)?.grant !== undefined;
  }

  counters(): ReadonlyMap<string, LeaseCounters> {
    return new Map(
      [...this.#leases.values()].map((lease) => [
        lease.name,
        { takeovers: lease.takeovers, renewFailures: lease.renewFailures },
      ]),
    );
  }

  view(): Promise<ClusterView> {
    return this.#table.view();
  }

  /**
   * Starts trying, renewing and heart-beating. The first round runs now and the work of every lease it took has
   * started when this resolves — so a lone replica's `start` returns with its sync running, as on SQLite.
   */
  async start(): Promise<void> {
    this.#tick = this.#round();
    await this.#tick;
    await Promise.all([...this.#leases.values()].map((lease) => lease.transition));
    this.#schedule(attemptEveryMs);
  }

  /**
   * Waits until lease `name` is held, at most `waitMs`; false if another replica still holds it then
   * (`sync --once` refuses with ENGINE_ALREADY_RUNNING).
   */
  async waitFor(name: string, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (!this.holds(name)) {
      if (Date.now() >= deadline || this.#stopped) return false;
      await sleep(100);
    }
    return true;
  }

  /**
   * SIGTERM: stops every unit at its next safe boundary, then releases its lease at once (another replica takes
   * it within a second), and leaves the cluster.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
    for (const lease of this.#leases.values()) {
      await lease.transition;
      const grant = lease.grant;
      if (grant === undefined) continue;
      await lease.work.stop();
      lease.grant = undefined;
      await this.#table
        .release(grant)
        .then(() => this.#log.info({ lease: lease.name, epoch: grant.epoch }, 'released the lease'))
        .catch((error: unknown) =>
          this.#log.warn(
            { err: error, lease: lease.name },
            'could not release the lease; it expires by itself',
          ),
        );
    }
    await this.#table.leave(this.replica).catch(() => undefined);
    await this.#table.close().catch(() => undefined);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#round().finally(() => this.#schedule(attemptEveryMs));
    }, ms);
    this.#timer.unref();
  }

  async #round(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastHeartbeat >= this.#renewEveryMs) {
      try {
        await this.#table.heartbeat(this.replica, this.#leaseSeconds * 20);
        this.#lastHeartbeat = now;
      } catch (error) {
        this.#log.warn({ err: error }, 'cluster heartbeat failed');
      }
    }
    for (const lease of this.#leases.values()) {
      if (this.#stopped) return;
      if (lease.transition !== undefined) continue;
      if (lease.grant === undefined) await this.#tryAcquire(lease);
      else await this.#renew(lease, lease.grant);
    }
  }

  async #tryAcquire(lease: LeaseState): Promise<void> {
    const sentAt = Date.now();
    let acquired;
    try {
      acquired = await this.#table.tryAcquire(lease.name, this.replica, this.#leaseSeconds);
    } catch (error) {
      this.#log.warn({ err: error, lease: lease.name }, 'could not try the lease');
      return;
    }
    if (acquired === undefined || this.#stopped) {
      if (acquired !== undefined) await this.#table.release(acquired.grant).catch(() => undefined);
      else if (!lease.waiting) {
        lease.waiting = true;
        this.#log.info(
          { lease: lease.name },
          `another replica holds the ${lease.name} lease: this one serves the API and takes the work over when it is free (B2.9)`,
        );
      }
      return;
    }
    lease.waiting = false;
    lease.grant = acquired.grant;
    lease.renewedAt = sentAt;
    if (acquired.takeover) lease.takeovers += 1;
    this.#log.info(
      {
        lease: lease.name,
        epoch: acquired.grant.epoch,
        previousHolder: acquired.previousHolder,
        takeover: acquired.takeover,
      },
      acquired.takeover
        ? `took over the ${lease.name} lease from ${acquired.previousHolder} (its hold expired)`
        : `took the ${lease.name} lease`,
    );
    const grant = acquired.grant;
    this.#transition(
      lease,
      async () => {
        try {
          await lease.work.start();
        } catch (error) {
          // Holding a lease without running its work would stall the cluster's sync until a restart: give it up,
          // so this replica or another tries again at its next round.
          lease.grant = undefined;
          await lease.work.stop().catch(() => undefined);
          await this.#table.release(grant).catch(() => undefined);
          throw error;
        }
      },
      'could not start the work of the lease; gave the lease up to be taken again',
    );
  }

  async #renew(lease: LeaseState, grant: LeaseGrant): Promise<void> {
    const sentAt = Date.now();
    if (sentAt - lease.renewedAt < this.#renewEveryMs) return;
    let renewed: boolean;
    try {
      renewed = await this.#table.renew(grant, this.#leaseSeconds);
    } catch (error) {
      lease.renewFailures += 1;
      // The hold may still be valid in the database; but past the lease's length another replica may have
      // taken it, and this one cannot tell: stop the work (its commits would fail the fence anyway).
      if (Date.now() - lease.renewedAt >= this.#leaseSeconds * 1000) {
        this.#lose(lease, grant, `could not renew it for ${this.#leaseSeconds} s`);
      } else {
        this.#log.warn({ err: error, lease: lease.name }, 'could not renew the lease; retrying');
      }
      return;
    }
    if (lease.grant !== grant) return;
    if (renewed) lease.renewedAt = sentAt;
    else this.#lose(lease, grant, 'another replica took it over');
  }

  #lose(lease: LeaseState, grant: LeaseGrant, why: string): void {
    if (lease.grant !== grant) return;
    // From here every fenced commit of this work fails at once, before it even reaches the database.
    lease.grant = undefined;
    this.#log.error(
      { lease: lease.name, epoch: grant.epoch },
      `lost the ${lease.name} lease (${why}): stopping its work; this replica stays a standby`,
    );
    this.#transition(lease, () => lease.work.stop(), 'stopping the work of a lost lease failed');
  }

  #transition(lease: LeaseState, step: () => Promise<void>, failure: string): void {
    lease.transition = step()
      .catch((error: unknown) => this.#log.error({ err: error, lease: lease.name }, failure))
      .finally(() => {
        lease.transition = undefined;
      });
  }
}
