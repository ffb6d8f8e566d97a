/**
 * Serialises async work per key inside this process (B7.2: one person's flow actions run one at a time, so
 * 50 concurrent calls make one create and 49 see the link). Waiters queue in arrival order; a failing task
 * releases the key like a succeeding one. Keys with nobody waiting are forgotten, so memory stays flat.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys currently held or waited for (tests, diagnostics). */
  get size(): number {
    return this.#tails.size;
  }
}
