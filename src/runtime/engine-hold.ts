import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, DatabaseConfig } from '../config/config.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { EngineLock } from '../store/engine-lock.ts';
import { createEngineLock } from '../store/engine-lock-registry.ts';
import type { LeaseFence } from '../store/lease-fence.ts';
import type { ClusterAdmin, ClusterView, LeaseCounters } from '../store/lease-table.ts';
import { createLeaseTable } from '../store/lease-table-registry.ts';
import { ClusterMember, type LeaseWork } from './cluster-member.ts';

/**
 * How long `require` waits for the hold before it refuses. A supervisor restarts `syncline` right after killing
 * it, while the old engine child may still be stopping at a safe boundary — it takes at most 10 s
 * (bin/engine-child.js); refusing at once would make the restart fail for no reason.
 */
const requireWaitMs = 12_000;
const requirePollMs = 250;

/** The units of sync work held separately (B2.9): the passes (with backfills and pushes), and the campaign runner. */
export type WorkUnit = 'sync' | 'campaigns';

/**
 * Runs sync work only where this process may (B2.9: two engines never run sync work on the same data at once).
 *
 * - SQLite: one engine per file. `require` takes the file's lock or refuses with ENGINE_ALREADY_RUNNING — two
 *   engines would link one CRM record twice and overwrite each other's bases; the units then run for the
 *   process's lifetime.
 * - PostgreSQL: a cluster. Each unit runs while this replica holds its lease (`ClusterMember`); `fence(unit)`
 *   is what the unit's store checks at every commit (`Store.withFence`). `require` (`sync --once`) waits for
 *   the `sync` lease and refuses when the cluster keeps it.
 */
export class EngineHold implements ClusterAdmin {
  readonly #database: DatabaseConfig;
  readonly #logger: Logger;
  readonly #replica: { id: string; token: string; host: string; pid: number; startedAt: Date };
  readonly #member: ClusterMember | undefined;
  #lock: EngineLock | undefined;
  #started = false;

  constructor(config: Pick<Config, 'database' | 'cluster'>, logger: Logger) {
    this.#database = config.database;
    this.#logger = logger.child({ component: 'engine-hold' });
    this.#replica = {
      id: config.cluster.replicaId,
      token: randomUUID(),
      host: hostname(),
      pid: process.pid,
      startedAt: new Date(),
    };
    if (config.database.kind === 'postgres') {
      this.#member = new ClusterMember(
        createLeaseTable(config.database.url),
        this.#replica,
        config.cluster.leaseSeconds,
        logger,
      );
    }
  }

  /**
   * Takes the hold for a run of the sync (`sync --once`, and `start` on SQLite), waiting up to 12 s for an
   * engine that is stopping; throws ENGINE_ALREADY_RUNNING when another engine still holds it then.
   */
  async require(): Promise<void> {
    if (this.#member !== undefined) {
      if (!this.#started) {
        this.#member.hold('sync', idleWork);
        this.#started = true;
        await this.#member.start();
      }
      if (this.#member.holds('sync')) return;
      // Said as on SQLite: an operator's `sync --once` is otherwise silent for 12 s (and a supervisor or a
      // harness watching its output cannot tell waiting from a slow start).
      this.#logger.warn(
        `another replica holds the sync lease; waiting up to ${requireWaitMs / 1000} s for it (B2.9)`,
      );
      if (await this.#member.waitFor('sync', requireWaitMs)) return;
      throw alreadyRunning(this.#database);
    }
    const provider = createEngineLock(this.#database as { kind: 'sqlite'; path: string });
    const deadline = Date.now() + requireWaitMs;
    let warned = false;
    for (;;) {
      this.#lock = await provider.tryAcquire();
      if (this.#lock !== undefined) return;
      if (Date.now() >= deadline) throw alreadyRunning(this.#database);
      if (!warned) {
        warned = true;
        this.#logger.warn(
          `another engine holds this database; waiting up to ${requireWaitMs / 1000} s for it to stop (B2.9)`,
        );
      }
      await sleep(requirePollMs);
    }
  }

  /**
   * The fence a unit's store checks at every commit (PostgreSQL); undefined on SQLite, where the file lock
   * already excludes every other engine for the process's lifetime.
   */
  fence(unit: WorkUnit): LeaseFence | undefined {
    return this.#member?.fence(unit);
  }

  /**
   * `syncline start`: runs each unit while this process may — on SQLite now (taking the file lock first if
   * `require` did not), on PostgreSQL whenever this replica holds the unit's lease. Never throws for a lease
   * held elsewhere: the replica serves the API meanwhile.
   */
  async runWhileHeld(units: Readonly<Record<WorkUnit, LeaseWork>>): Promise<void> {
    if (this.#member === undefined) {
      if (this.#lock === undefined) await this.require();
      for (const work of Object.values(units)) await work.start();
      return;
    }
    if (this.#started) throw new Error('runWhileHeld after require: one process runs one of them');
    for (const [unit, work] of Object.entries(units)) this.#member.hold(unit, work);
    this.#started = true;
    await this.#member.start();
  }

  /** Whether this process holds the sync's hold now (SQLite: the file lock; PostgreSQL: the `sync` lease). */
  get held(): boolean {
    return this.#member === undefined ? this.#lock !== undefined : this.#member.holds('sync');
  }

  /** `GET /api/v1/cluster`: the cluster's replicas and leases; on SQLite this process alone. */
  async view(): Promise<ClusterView> {
    if (this.#member !== undefined) return this.#member.view();
    const now = new Date().toISOString();
    const units: WorkUnit[] = ['sync', 'campaigns'];
    const held = this.#lock === undefined ? [] : units;
    return {
      replicas: [
        {
          id: this.#replica.id,
          host: this.#replica.host,
          pid: this.#replica.pid,
          startedAt: this.#replica.startedAt.toISOString(),
          lastSeenAt: now,
          leases: held,
        },
      ],
      // The file lock is held for the process's lifetime: no epoch ever changes, nothing expires.
      leases: held.map((name) => ({ name, holder: this.#replica.id, epoch: 1, expiresAt: null })),
    };
  }

  /** Per-lease takeovers and renewal failures for `/metrics`; empty on SQLite. */
  counters(): ReadonlyMap<string, LeaseCounters> {
    return this.#member?.counters() ?? new Map();
  }

  /**
   * SIGTERM on PostgreSQL: stops the held units at their next safe boundary and releases their leases at once, so
   * another replica takes the work over within a second; no lease is taken from here on. SQLite: nothing (the
   * file lock is released by `release`, after the sync stopped).
   */
  async handOver(): Promise<void> {
    await this.#member?.stop();
  }

  /** Stops the held units (at a safe boundary) and gives the hold up. Safe to call more than once. */
  async release(): Promise<void> {
    await this.#member?.stop();
    await this.#lock?.release();
    this.#lock = undefined;
  }
}

/** `sync --once` holds the lease without a loop of its own: the pass runs in the caller. */
const idleWork: LeaseWork = { start: () => Promise.resolve(), stop: () => Promise.resolve() };

function alreadyRunning(database: DatabaseConfig): SynclineError {
  const where =
    database.kind === 'sqlite' ? `the SQLite database ${database.path}` : 'this PostgreSQL schema';
  return new SynclineError(
    'ENGINE_ALREADY_RUNNING',
    `Another Syncline engine (syncline start or sync --once) is running on ${where}; two would overwrite each other's sync state. Stop it first, or use it.`,
  );
}
