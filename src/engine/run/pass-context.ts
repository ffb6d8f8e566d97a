import type { Store } from '../../store/store.ts';
import type { MirrorRow } from '../../store/mirror-store.ts';

/**
 * How many mirror rows (owners, accounts) a pass keeps. A bound, because an initial load meets every account
 * of the organisation and memory must not grow with the CRM (issue 7: ≤ 400 MB at 1,000,000 contacts); the
 * oldest entries go first, and a row that went is simply read again.
 */
const maxCachedMirrorRows = 20_000;

/** Per-pass counters and caches shared by the appliers. Lives for one pass only. */
export class PassContext {
  readonly counts: Record<string, number> = {};
  readonly #mirror = new Map<string, MirrorRow | null>();

  count(key: string, by = 1): void {
    if (by !== 0) this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  /** A mirror row (owner, account) read once per pass; `forget` after the pass wrote it. */
  async mirrorRow(store: Store, entity: string, id: string): Promise<MirrorRow | undefined> {
    const key = `${entity}:${id}`;
    if (!this.#mirror.has(key)) this.#remember(key, (await store.getMirrorRow(entity, id)) ?? null);
    return this.#mirror.get(key) ?? undefined;
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
