/**
 * Adaptive limit on concurrent Dataverse requests (AIMD, like TCP congestion control).
 *
 * Why: Dataverse enforces 52 concurrent requests per user and web server, and answers 429 immediately beyond
 * it; its `x-ms-dop-hint` header recommends a degree of parallelism ("exceeding it makes performance worse").
 * So: start from the hint (or a cautious default), grow by one slot per window of successful requests, halve
 * on a concurrency 429 — once per congestion event, not once per throttled request of the same burst — and
 * never exceed 52. While a `Retry-After` is running no new request starts at all, because Dataverse lengthens
 * the penalty of clients that keep sending (api-limits doc).
 *
 * The request-count and execution-time limits are budgets per sliding window, not caused by parallelism: the
 * `Retry-After` says when the budget frees and the pause honours it, so such a 429 leaves the limit as it is.
 * Halving there only left too few requests in flight when the window freed (S4, docs/benchmarks.md: limit
 * 14 → 2 in three throttles, the rest of a round then sent as a few long requests); Microsoft's advice is to
 * ramp up "until you hit the limits, then let the server tell you" via `Retry-After` (performance anchors).
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

/** Which limit a 429 is about: too many requests at once, or a per-window budget (requests, execution time). */
export type ThrottleKind = 'concurrency' | 'budget';

/** Dataverse's service-protection codes (reference §6); an unknown 429 counts as concurrency (it halves). */
export function throttleKindOf(crmCode: string | undefined): ThrottleKind {
  return crmCode === '0x80072321' || crmCode === '0x80072322' ? 'budget' : 'concurrency';
}

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
  /** How many waiters at the front are resends (they keep their arrival order among themselves). */
  #resent = 0;

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

  /**
   * Waits for a slot (and for any Retry-After pause to end). A request sent again (`resend`) goes before those
   * not sent yet: it is older work that already waited its Retry-After, and a caller waiting for a group of
   * requests (a push round) waits for the last one — behind a queue refilled meanwhile it became the group's
   * straggler (S4, docs/benchmarks.md: two retried chunks finished 3 s after the rest of the push).
   */
  acquire(signal?: AbortSignal, options: { resend?: boolean } = {}): Promise<Permit> {
    signal?.throwIfAborted();
    return new Promise<Permit>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (options.resend) this.#waiters.splice(this.#resent++, 0, waiter);
      else this.#waiters.push(waiter);
      if (signal) {
        const onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) {
            if (index < this.#resent) this.#resent -= 1;
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

  /** `kind` says which limit a `throttled` outcome hit (`throttleKindOf`). */
  release(permit: Permit, outcome: RequestOutcome, kind: ThrottleKind = 'concurrency'): void {
    this.#inFlight -= 1;
    if (outcome === 'success') {
      this.#limit = this.#clamp(this.#limit + 1 / Math.floor(this.#limit));
    } else if (outcome === 'throttled') {
      this.throttled(permit, kind);
    }
    this.#pump();
  }

  /**
   * A 429 seen for work started with `permit` (also for parts of a `$batch` that itself succeeded). Only a
   * concurrency 429 lowers the limit; a budget 429 is answered by the `Retry-After` pause alone.
   */
  throttled(permit: Permit, kind: ThrottleKind = 'concurrency'): void {
    if (kind === 'budget') return;
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
    this.#resent = 0;
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
      if (this.#resent > 0) this.#resent -= 1;
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
