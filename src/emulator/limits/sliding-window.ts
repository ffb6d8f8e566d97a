/** One admitted request in a user's window; its execution time is charged when it finishes. */
export interface WindowEntry {
  readonly at: number;
  executionMs: number;
  expired: boolean;
}

/**
 * One user's sliding window (Dataverse evaluates limits per user over the last `windowMs`, reference §6).
 * Entries arrive in time order, so expiry only ever drops from the front.
 */
export class SlidingWindow {
  readonly #entries: WindowEntry[] = [];
  #executionMs = 0;
  inFlight = 0;

  /** Forgets entries older than the window. */
  prune(now: number, windowMs: number): void {
    while (this.#entries.length > 0 && this.#entries[0].at <= now - windowMs) {
      const entry = this.#entries.shift()!;
      entry.expired = true;
      this.#executionMs -= entry.executionMs;
    }
  }

  get requests(): number {
    return this.#entries.length;
  }

  get executionMs(): number {
    return this.#executionMs;
  }

  add(at: number): WindowEntry {
    const entry: WindowEntry = { at, executionMs: 0, expired: false };
    this.#entries.push(entry);
    return entry;
  }

  charge(entry: WindowEntry, executionMs: number): void {
    entry.executionMs += executionMs;
    // An entry that already slid out of the window is no longer part of the sum.
    if (!entry.expired) this.#executionMs += executionMs;
  }

  /** Milliseconds until the window holds fewer than `limit` requests. */
  msUntilRequestsBelow(limit: number, now: number, windowMs: number): number {
    const mustExpire = this.#entries.length - limit + 1;
    if (mustExpire <= 0) return 0;
    return this.#entries[mustExpire - 1].at + windowMs - now;
  }

  /** Milliseconds until the charged execution time is no longer above `limitMs`. */
  msUntilExecutionAtMost(limitMs: number, now: number, windowMs: number): number {
    let remaining = this.#executionMs;
    for (const entry of this.#entries) {
      if (remaining <= limitMs) break;
      remaining -= entry.executionMs;
      if (remaining <= limitMs) return entry.at + windowMs - now;
    }
    return 0;
  }

  get idle(): boolean {
    return this.#entries.length === 0 && this.inFlight === 0;
  }
}
