/**
 * Reads ahead of a consumer by up to `depth` items, one `next()` of the source at a time.
 *
 * Why: a change-tracked initial load is one sequential `@odata.nextLink` chain per entity, and entities are
 * applied in turns (B2.2, B2.7). Without reading ahead, an entity's chain stands still while the others have
 * their turn. The pages read ahead are only held: whoever consumes them applies each with its cursor (B2.4), so
 * reading ahead never advances a cursor. A failure of the source is kept in order with the pages and thrown by
 * the `next()` that reaches it — on the entity's own turn — never as an unhandled rejection.
 */
export interface Prefetch<T> {
  next(): Promise<IteratorResult<T>>;
  /** Whether `next()` would answer at once (an item, a failure or the end is held). */
  ready(): boolean;
  /** Stops reading ahead and lets the source go (pages still held are dropped). */
  close(): void;
}

type Settled<T> = { ok: true; result: IteratorResult<T> } | { ok: false; error: unknown };

export function prefetch<T>(source: AsyncIterator<T>, depth: number, signal?: AbortSignal): Prefetch<T> {
  const held: Settled<T>[] = [];
  let pulling = false;
  let ended = false;
  let closed = false;
  let wake: (() => void) | undefined;

  const pull = () => {
    pulling = true;
    source
      .next()
      .then(
        (result) => {
          if (!closed) held.push({ ok: true, result });
          if (result.done === true) ended = true;
        },
        (error: unknown) => {
          if (!closed) held.push({ ok: false, error });
          ended = true;
        },
      )
      .finally(() => {
        pulling = false;
        wake?.();
        wake = undefined;
        readAhead();
      });
  };
  // Reading ahead stops at the bound, at the end, when closed and when the pass is aborted.
  const readAhead = () => {
    if (!pulling && !ended && !closed && held.length < depth && signal?.aborted !== true) pull();
  };

  readAhead();
  return {
    async next() {
      while (held.length === 0) {
        if (ended) return { done: true, value: undefined };
        // A consumer that asks is served even when reading ahead has stopped (e.g. for an aborted signal:
        // the source then fails with the abort, as it would have without reading ahead).
        if (!pulling) pull();
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const item = held.shift()!;
      readAhead();
      if (!item.ok) throw item.error;
      return item.result;
    },
    ready() {
      return held.length > 0 || (ended && !pulling);
    },
    close() {
      closed = true;
      held.length = 0;
      source.return?.().catch(() => undefined);
    },
  };
}
