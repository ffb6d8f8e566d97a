/**
 * Adaptive limit on concurrent Dataverse requests (AIMD, like TCP congestion control).
 *
 * Why: Dataverse enforces 52 concurrent requests per user and web server, and answers 429 immediately beyond
 * it; its `x-ms-dop-hint` header recommends a degree of parallelism ("exceeding it makes performance worse").
 * So: start from the hint (or a cautious default), grow by one slot per window of successful requests, halve
 * on a 429 — once per congestion event, not once per throttled request of the same burst — and never exceed
 * 52. While a `Retry-After` is running no new request starts at all, because Dataverse lengthens the penalty
 * of clients that keep sending (api-limits doc).
 */
export interface ConcurrencyLimiterOptions {
  readonly initial?: number;
  readonly min?: number;
  readonly max?: number;
  readonly now?: () => number;
}

export const dataverseConcurrencyCeiling = 52;

/** Held by one in-flight request; give it back with `release`. */
export interface Permit {
  readonly startedAt: number;
}

export type RequestOutcome = 'success' | 'throttled' | 'failure';

export class ConcurrencyLimiter {
  readonly #min: number;
  readonly #max: number;
  readonly #now: () => number;
  #limit: number;
  #inFlight = 0;
  #hinted = false;
  #lastDecreaseAt = -Infinity;
  #pausedUntil = 0;
  #pauseTimer: NodeJS.Timeout | undefined;
  readonly #waiters: { resolve: (permit: Permit) => void; reject: (error: unknown) => void }[] = [];

  constructor(options: ConcurrencyLimiterOptions = {}) {
    this.#min = Math.max(1, options.min ?? 1);
    this.#max = Math.min(dataverseConcurrencyCeiling, options.max ?? dataverseConcurrencyCeiling);
    this.#now = options.now ?? Date.now;
    this.#limit = this.#clamp(options.initial ?? 4);
  }

  /** Current limit (fractional while growing; `Math.floor` of it requests may run). */
  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Waits for a slot (and for any Retry-After pause to end). */
  acquire(signal?: AbortSignal): Promise<Permit> {
    signal?.throwIfAborted();
    return new Promise<Permit>((resolve, reject) => {
      const waiter = { resolve, reject };
      this.#waiters.push(waiter);
      if (signal) {
        const onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) {
            this.#waiters.splice(index, 1);
            reject(signal.reason);
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = (permit) => {
          signal.removeEventListener('abort', onAbort);
          resolve(permit);
        };
      }
      this.#pump();
    });
  }

  release(permit: Permit, outcome: RequestOutcome): void {
    this.#inFlight -= 1;
    if (outcome === 'success') {
      this.#limit = this.#clamp(this.#limit + 1 / Math.floor(this.#limit));
    } else if (outcome === 'throttled') {
      this.throttled(permit);
    }
    this.#pump();
  }

  /** A 429 seen for work started with `permit` (also for parts of a `$batch` that itself succeeded). */
  throttled(permit: Permit): void {
    // Requests started before the last decrease belong to the same congestion event.
    if (permit.startedAt < this.#lastDecreaseAt) return;
    this.#limit = this.#clamp(Math.floor(this.#limit / 2));
    this.#lastDecreaseAt = this.#now();
  }

  /** The server's recommended parallelism (`x-ms-dop-hint`): the starting point, taken once. */
  observeHint(degreeOfParallelism: number): void {
    if (this.#hinted || !Number.isFinite(degreeOfParallelism) || degreeOfParallelism < 1) return;
    this.#hinted = true;
    this.#limit = this.#clamp(degreeOfParallelism);
    this.#pump();
  }

  /** Starts nothing new for `ms` (a Retry-After). */
  pause(ms: number): void {
    const until = this.#now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#schedulePump();
  }

  /** Rejects every waiter (the connector is closing). */
  close(error: unknown): void {
    clearTimeout(this.#pauseTimer);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #pump(): void {
    const remaining = this.#pausedUntil - this.#now();
    if (remaining > 0) {
      this.#schedulePump();
      return;
    }
    while (this.#waiters.length > 0 && this.#inFlight < Math.floor(this.#limit)) {
      this.#inFlight += 1;
      this.#waiters.shift()!.resolve({ startedAt: this.#now() });
    }
  }

  #schedulePump(): void {
    clearTimeout(this.#pauseTimer);
    const remaining = this.#pausedUntil - this.#now();
    if (this.#waiters.length === 0 || remaining <= 0) return;
    this.#pauseTimer = setTimeout(() => this.#pump(), remaining);
  }

  #clamp(value: number): number {
    return Math.min(this.#max, Math.max(this.#min, value));
  }
}
