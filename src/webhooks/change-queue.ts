/** One queued record: read it again, and apply what the CRM holds then. */
export interface QueuedRecord {
  readonly id: string;
  /** A Delete webhook named it: if the CRM no longer has it, apply it as deleted (B3.6). */
  readonly deleted: boolean;
  /** How often it was put back (not visible yet, a push in flight, a transient failure). */
  readonly attempts: number;
  /** Not to be read before this time (epoch ms). */
  readonly dueAt: number;
}

/**
 * The records webhooks named, per entity, each once (B2.8). In memory on purpose: a webhook only says *which*
 * records to read again, so losing the queue (a restart, a crash, a full queue) loses nothing but latency — the
 * next pass reads every change from the change feed anyway (B2.3, B2.8). A duplicated webhook, or several for
 * one record, is one entry; their order does not matter because the worker reads the record's current values.
 * Bounded: beyond `limit` records, new ones are refused (counted) and left to the pass.
 */
export class ChangeQueue {
  readonly #limit: number;
  readonly #entities = new Map<string, Map<string, QueuedRecord>>();
  #size = 0;

  constructor(limit = 100_000) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Queues a record, due now; one already queued stays one entry (due now, and `deleted` once any webhook said
   * so). False when the queue is full and the record was not queued.
   */
  add(entity: string, id: string, deleted: boolean, now: number): boolean {
    const records = this.#records(entity);
    const queued = records.get(id);
    if (queued !== undefined) {
      records.set(id, { ...queued, deleted: queued.deleted || deleted, dueAt: Math.min(queued.dueAt, now) });
      return true;
    }
    if (this.#size >= this.#limit) return false;
    records.set(id, { id, deleted, attempts: 0, dueAt: now });
    this.#size += 1;
    return true;
  }

  /** Puts a taken record back, due at `dueAt`, one attempt older; merged with an entry queued meanwhile. */
  retry(entity: string, record: QueuedRecord, dueAt: number): void {
    const records = this.#records(entity);
    const queued = records.get(record.id);
    if (queued === undefined) {
      if (this.#size >= this.#limit) return;
      this.#size += 1;
    }
    records.set(record.id, {
      id: record.id,
      deleted: record.deleted || (queued?.deleted ?? false),
      attempts: record.attempts + 1,
      // A webhook that came meanwhile asks for a read now.
      dueAt: queued === undefined ? dueAt : Math.min(queued.dueAt, dueAt),
    });
  }

  /** Removes and returns up to `max` records of `entity` that are due, oldest first. */
  take(entity: string, max: number, now: number): QueuedRecord[] {
    const records = this.#entities.get(entity);
    if (records === undefined) return [];
    const taken: QueuedRecord[] = [];
    for (const record of records.values()) {
      if (taken.length >= max) break;
      if (record.dueAt <= now) taken.push(record);
    }
    for (const record of taken) records.delete(record.id);
    this.#size -= taken.length;
    return taken;
  }

  /** Entities that have queued records. */
  entities(): string[] {
    return [...this.#entities].filter(([, records]) => records.size > 0).map(([entity]) => entity);
  }

  /** When the next record falls due (epoch ms), or undefined when the queue is empty. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const records of this.#entities.values()) {
      for (const record of records.values())
        if (next === undefined || record.dueAt < next) next = record.dueAt;
    }
    return next;
  }

  /** Forgets everything queued (the sync was disabled, B8.1); returns how many records that was. */
  clear(): number {
    const dropped = this.#size;
    this.#entities.clear();
    this.#size = 0;
    return dropped;
  }

  #records(entity: string): Map<string, QueuedRecord> {
    let records = this.#entities.get(entity);
    if (records === undefined) this.#entities.set(entity, (records = new Map()));
    return records;
  }
}
