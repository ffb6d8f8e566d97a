import { setTimeout as sleep } from 'node:timers/promises';
import type { CrmRecord } from '../domain/crm-record.ts';
import { isPersonEntity } from '../domain/sync-entities.ts';
import {
  applyFetchedRecords,
  enabledSetting,
  syncEntitiesOf,
  type EngineDeps,
  type EngineSettings,
  type EntityPlan,
} from '../engine/engine.ts';
import { PlanCache } from '../flows/plan-cache.ts';
import { ChangeQueue, type QueuedRecord } from './change-queue.ts';
import type { WebhookNotification } from './webhook-notification.ts';

export interface WebhookWorkerOptions {
  /** A record is read this long after its first webhook, so a burst of webhooks is one request (default 100 ms). */
  readonly coalesceMs?: number;
  /** Records read per request and applied per transaction (default 100, one `retrieveMany` request). */
  readonly batchSize?: number;
  /**
   * Waits before a record is read again (not visible yet, a push in flight, a failure); after the last one it is
   * left to the next pass (default 250 ms, 0.5, 1, 2, 4 s: about 8 s in all).
   */
  readonly retryDelaysMs?: readonly number[];
  /** Most records queued at once (default 100,000); more are left to the pass. */
  readonly queueLimit?: number;
}

export interface WebhookWorkerStats {
  /** Notifications accepted (webhooks that named a record of a synced entity). */
  readonly notifications: number;
  /** Notifications of Syncline's own writes (any of its application users), not read again (B4.4). */
  readonly ownWrites: number;
  /** Records applied (upserts and deletes). */
  readonly applied: number;
  /** Records put back to be read again later. */
  readonly retried: number;
  /** Records given up to the next pass (retries spent, queue full, entity not synced, sync disabled). */
  readonly leftToPass: number;
  readonly queued: number;
}

/**
 * The CRM → marketing fast path (B2.8): webhooks say which records changed; this worker reads their **current**
 * values from the Web API — one request per batch of up to 100 ids of one entity — and applies them through the
 * engine's face (`applyFetchedRecords`) with exactly the pass's rules: links, bases, collisions (B4.3),
 * activities, the sync filter (B3.7), qualify and merge (B3.4, B3.5), deletes (B3.6). The webhook's body is
 * never the value.
 *
 * The pass stays the catch-all: nothing here moves a change cursor, so the next pass reads the same change from
 * the change feed and, its bases already equal to the CRM's values, writes nothing (no second activity, no
 * echo, no CRM write, B4.4). A lost, late or dropped notification therefore costs latency only.
 *
 * Concurrency with the pass and with pushes (it runs in every `syncline start` process, beside the engine or
 * on a PostgreSQL standby replica, B2.9): every write goes through the same store transactions and locks as a
 * page (`lockLinksOf`, persons read locked; SQLite's write transactions exclude each other), and a record older
 * than the version its link holds is skipped by the page applier, so a pass's page read before this worker's
 * read never flips a field back. A record with a pending push is not applied: the CRM may already hold that push
 * while its base does not yet (the push is in flight), and merging then would mistake Syncline's own write for
 * a CRM edit; it is read again once the push settled. Disabled sync (B8.1) stops this path too.
 */
export class WebhookWorker {
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  readonly #plans: PlanCache;
  readonly #queue: ChangeQueue;
  readonly #coalesceMs: number;
  readonly #batchSize: number;
  readonly #retryDelaysMs: readonly number[];
  readonly #order: Map<string, number>;
  readonly #stats = { notifications: 0, ownWrites: 0, applied: 0, retried: 0, leftToPass: 0 };
  /** Every application user Syncline writes as (interfaces.md §2: there may be several). */
  #ownUserIds = new Set<string>();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #busy = false;
  #stopped = false;

  constructor(deps: EngineDeps, settings: EngineSettings, options: WebhookWorkerOptions = {}) {
    this.#deps = { ...deps, logger: deps.logger.child({ component: 'webhooks' }) };
    this.#settings = settings;
    this.#plans = new PlanCache(deps, settings);
    this.#queue = new ChangeQueue(options.queueLimit);
    this.#coalesceMs = options.coalesceMs ?? 100;
    this.#batchSize = Math.min(100, Math.max(1, options.batchSize ?? 100));
    this.#retryDelaysMs = options.retryDelaysMs ?? [250, 500, 1000, 2000, 4000];
    // The pass's order (B2.2): accounts before the contacts whose company fields they fill, and so on.
    this.#order = new Map(syncEntitiesOf(settings).map((entity, index) => [entity.name, index]));
  }

  /** Starts reading and applying queued records. */
  start(): void {
    if (this.#loop !== undefined) return;
    // The application users' ids, to recognise Syncline's own writes; until known (or for an identity whose
    // WhoAmI failed) they are read again, which costs a request and changes nothing.
    this.#deps.crm.identities().then(
      (identities) => {
        for (const identity of identities) {
          if (identity.whoAmI !== undefined) this.#ownUserIds.add(identity.whoAmI.userId.toLowerCase());
        }
      },
      (error: unknown) =>
        this.#deps.logger.warn(
          { err: error },
          'the application users are unknown; own writes are read again',
        ),
    );
    this.#loop = this.#run();
  }

  /** Stops after the batch being applied (its transaction commits or rolls back); queued records are dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /**
   * Queues the records a webhook named (the receiver calls this and answers at once). Returns how many were
   * queued: none for Syncline's own writes (its pushes and flow actions, B4.4: they are recorded where
   * they are made), for entities Syncline does not sync, or when the queue is full.
   */
  accept(notification: WebhookNotification): number {
    if (!this.#order.has(notification.entity)) return 0;
    this.#stats.notifications += 1;
    if (notification.initiatingUserId !== undefined && this.#ownUserIds.has(notification.initiatingUserId)) {
      this.#stats.ownWrites += 1;
      return 0;
    }
    const dueAt = Date.now() + this.#coalesceMs;
    let queued = 0;
    for (const id of notification.ids) {
      if (this.#queue.add(notification.entity, id, notification.deleted, dueAt)) queued += 1;
      else this.#stats.leftToPass += 1;
    }
    if (queued > 0) this.#wake?.();
    return queued;
  }

  stats(): WebhookWorkerStats {
    return { ...this.#stats, queued: this.#queue.size };
  }

  /** Resolves once nothing is queued or being applied (tests). */
  async idle(): Promise<void> {
    while (!this.#stopped && (this.#busy || this.#queue.size > 0)) await sleep(10);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const next = this.#queue.nextDueAt();
      const wait = next === undefined ? undefined : next - Date.now();
      if (wait === undefined || wait > 0) {
        await this.#sleep(wait);
        continue;
      }
      this.#busy = true;
      try {
        await this.#drainDue();
      } catch (error) {
        // The enabled flag or the plans could not be read (store or CRM down): try again in a moment.
        this.#deps.logger.warn({ err: error }, 'webhook worker: retrying in 1 s');
        await this.#sleep(1000);
      } finally {
        this.#busy = false;
      }
    }
  }

  async #drainDue(): Promise<void> {
    if ((await this.#deps.store.getSetting(enabledSetting)) === 'false') {
      // B8.1: disabled sync stops the fast path too; the changes wait for the passes after enable.
      this.#stats.leftToPass += this.#queue.clear();
      return;
    }
    const plans = await this.#plans.plans();
    const entities = this.#queue
      .entities()
      .sort((a, b) => (this.#order.get(a) ?? Infinity) - (this.#order.get(b) ?? Infinity));
    for (const entity of entities) {
      for (;;) {
        if (this.#stopped) return;
        const batch = this.#queue.take(entity, this.#batchSize, Date.now());
        if (batch.length === 0) break;
        await this.#apply(entity, plans.get(entity), plans, batch);
      }
    }
  }

  /** Reads one batch's current values, then applies what is settled on the CRM side; the rest goes back. */
  async #apply(
    entity: string,
    plan: EntityPlan | undefined,
    plans: Map<string, EntityPlan>,
    batch: readonly QueuedRecord[],
  ): Promise<void> {
    if (plan === undefined) {
      // A custom entity the CRM lacks: nothing to apply.
      this.#stats.leftToPass += batch.length;
      return;
    }
    const { crm, store } = this.#deps;
    let records: CrmRecord[];
    try {
      records = await crm.retrieveMany(
        entity,
        batch.map((queued) => queued.id),
        plan.select,
      );
    } catch (error) {
      this.#retry(entity, batch, error);
      return;
    }
    const queuedById = new Map(batch.map((queued) => [queued.id, queued]));
    const found = new Set(records.map((record) => record.id.toLowerCase()));
    const deleted: string[] = [];
    const later: QueuedRecord[] = [];
    for (const queued of batch) {
      if (found.has(queued.id)) continue;
      // Gone after a Delete: a CRM delete (B3.6). Gone otherwise: not visible yet (a webhook may arrive before
      // the CRM's transaction is), or a Delete webhook is on its way: read it again later.
      if (queued.deleted) deleted.push(queued.id);
      else later.push(queued);
    }
    const ready: CrmRecord[] = [];
    for (const record of records) {
      // Read after the CRM read on purpose: a push in flight keeps its mark until the transaction that records
      // the CRM's answer as the base, so a record read while the push may have landed is never applied here.
      const pending = isPersonEntity(entity) ? await store.getPendingPush(entity, record.id) : undefined;
      if (pending === undefined) ready.push(record);
      else later.push(queuedById.get(record.id.toLowerCase()) ?? toQueued(record.id));
    }
    if (ready.length > 0 || deleted.length > 0) {
      try {
        await applyFetchedRecords(
          this.#deps,
          { plans, settings: this.#settings },
          { entity, records: ready, missing: deleted },
        );
      } catch (error) {
        this.#retry(
          entity,
          batch.filter((queued) => !later.includes(queued)),
          error,
        );
        this.#retry(entity, later);
        return;
      }
      this.#stats.applied += ready.length + deleted.length;
    }
    this.#retry(entity, later);
  }

  /** Puts records back with back-off; those out of attempts are left to the next pass. */
  #retry(entity: string, records: readonly QueuedRecord[], error?: unknown): void {
    if (records.length === 0) return;
    if (error !== undefined) {
      this.#deps.logger.warn(
        { err: error, entity, records: records.length },
        'webhook records could not be read or applied; retrying (the next pass carries them anyway)',
      );
    }
    for (const record of records) {
      const delay = this.#retryDelaysMs[record.attempts];
      if (delay === undefined) {
        this.#stats.leftToPass += 1;
        continue;
      }
      this.#stats.retried += 1;
      this.#queue.retry(entity, record, Date.now() + delay);
    }
  }

  /** Sleeps `ms` (forever when undefined) or until a webhook or `stop` wakes the loop. */
  #sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

function toQueued(id: string): QueuedRecord {
  return { id: id.toLowerCase(), deleted: false, attempts: 0, dueAt: 0 };
}
