import type { Store } from '../../store/store.ts';
import type { MirrorRow } from '../../store/mirror-store.ts';
import type { LatencyRecorder } from '../admin/sync-latency.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

/**
 * How many mirror rows (owners, accounts) a pass keeps. A bound, because an initial load meets every account
 * of the organisation and memory must not grow with the CRM (issue 7: ≤ 400 MB at 1,000,000 contacts); the
 * oldest entries go first, and a row that went is simply read again.
 */
const maxCachedMirrorRows = 20_000;
/** CRM changes timed per transaction at most (a page holds ≤ 5,000 records). */
const maxCarried = 10_000;

/** Per-pass counters and caches shared by the appliers. Lives for one pass only. */
export class PassContext {
  readonly counts: Record<string, number> = {};
  readonly #mirror = new Map<string, MirrorRow | null>();
  /** False for the initial load: it copies the CRM's history, not changes made just now (B2.8 latency). */
  timesLatency = true;
  /** `modifiedon` of the CRM changes the current transaction wrote to persons (B2.8 latency). */
  #carried: string[] = [];

  /** An applier wrote this CRM record's changes to a person, in the transaction `timedCommit` runs. */
  carriedFromCrm(record: CrmRecord): void {
    const modifiedOn = record.values.modifiedon;
    if (this.timesLatency && typeof modifiedOn === 'string' && this.#carried.length < maxCarried)
      this.#carried.push(modifiedOn);
  }

  /**
   * Runs `commit` (one store transaction applying CRM records) and then times the changes it carried (B2.8
   * `fromCrm`: modifiedon → now, after the commit); a rollback times nothing.
   */
  async timedCommit<T>(latency: LatencyRecorder | undefined, commit: () => Promise<T>): Promise<T> {
    this.#carried = [];
    const result = await commit();
    const carried = this.#carried;
    this.#carried = [];
    for (const modifiedOn of carried) latency?.recordFromCrm(modifiedOn);
    return result;
  }

  count(key: string, by = 1): void {
    if (by !== 0) this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  /** A mirror row (owner, account) read once per pass; `forget` after the pass wrote it. */
  async mirrorRow(store: Store, entity: string, id: string): Promise<MirrorRow | undefined> {
    const key = `${entity}:${id}`;
    if (!this.#mirror.has(key)) this.#remember(key, (await store.getMirrorRow(entity, id)) ?? null);
    return this.#mirror.get(key) ?? undefined;
  }

  /** The cached row without a read: `null` for a row known to be missing, `undefined` when not cached. */
  cachedMirrorRow(entity: string, id: string): MirrorRow | null | undefined {
    return this.#mirror.get(`${entity}:${id}`);
  }

  /** Reads the uncached ones of `ids` in one query, so a page's accounts cost one round trip, not one each. */
  async prefetchMirrorRows(store: Store, entity: string, ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.#mirror.has(`${entity}:${id}`));
    if (missing.length === 0) return;
    const rows = await store.getMirrorRows(entity, missing);
    for (const id of missing) this.#remember(`${entity}:${id}`, rows.get(id) ?? null);
  }

  forgetMirrorRow(entity: string, id: string): void {
    this.#mirror.delete(`${entity}:${id}`);
  }

  #remember(key: string, row: MirrorRow | null): void {
    this.#mirror.set(key, row);
    if (this.#mirror.size <= maxCachedMirrorRows) return;
    // A Map iterates in insertion order: the first key is the oldest entry.
    const oldest = this.#mirror.keys().next().value;
    if (oldest !== undefined) this.#mirror.delete(oldest);
  }
}
