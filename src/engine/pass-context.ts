import type { MirrorRow } from '../store/store.ts';
import type { Store } from '../store/store.ts';

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
    if (!this.#mirror.has(key)) this.#mirror.set(key, (await store.getMirrorRow(entity, id)) ?? null);
    return this.#mirror.get(key) ?? undefined;
  }

  forgetMirrorRow(entity: string, id: string): void {
    this.#mirror.delete(`${entity}:${id}`);
  }
}
