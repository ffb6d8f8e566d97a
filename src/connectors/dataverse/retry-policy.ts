/**
 * When to retry a transient Dataverse failure and how long to wait (B6.2). Pure: time and randomness come in
 * as arguments so the policy is unit-tested without sleeping.
 *
 * - A 429 carries `Retry-After`: we wait at least that long (Dataverse lengthens the penalty for clients that
 *   come back early, api-limits doc) plus a little jitter so parallel workers do not return in lock-step.
 *   Throttling is the service working as designed, so it is bounded by time, not by a count of attempts.
 *   (`DataverseHttp` charges that delay to the budget but waits in its concurrency limiter instead, which holds
 *   every request until the Retry-After has passed and then lets the retried ones go first.)
 * - Other transient failures (5xx, network, time-outs) back off exponentially with "equal jitter"
 *   (half fixed, half random): spreads retries while keeping a floor that grows.
 * - Everything is bounded: `maxAttempts` failures of the non-throttling kind and `budgetMs` of total waiting.
 */
export interface RetryPolicyOptions {
  /** Failures (other than throttling) before giving up. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Total time spent waiting between attempts of one request. */
  readonly budgetMs: number;
}

export const defaultRetryPolicy: RetryPolicyOptions = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  budgetMs: 300_000,
});

/** Milliseconds to wait from a `Retry-After` header: delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Delay before retry number `attempt` (1 = first retry) of a non-throttled failure. */
export function backoffDelay(attempt: number, options: RetryPolicyOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Delay honouring `Retry-After`: never earlier, up to 10 % (at most 1 s) later. */
export function throttleDelay(retryAfterMs: number, random: () => number): number {
  return Math.round(retryAfterMs + random() * Math.min(1000, retryAfterMs * 0.1));
}

/** Tracks one request's retries; `next` says how long to wait, or undefined when the budget is spent. */
export class RetryBudget {
  readonly #options: RetryPolicyOptions;
  readonly #random: () => number;
  #failures = 0;
  #waitedMs = 0;

  constructor(options: RetryPolicyOptions = defaultRetryPolicy, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Call after a transient failure; `retryAfterMs` when the server said how long to wait (429/503). */
  next(failure: { throttled: boolean; retryAfterMs: number | undefined }): number | undefined {
    let delay: number;
    if (failure.retryAfterMs !== undefined) {
      delay = throttleDelay(failure.retryAfterMs, this.#random);
    } else {
      this.#failures += 1;
      if (this.#failures >= this.#options.maxAttempts) return undefined;
      delay = backoffDelay(this.#failures, this.#options, this.#random);
    }
    if (!failure.throttled && failure.retryAfterMs !== undefined) {
      // A 503 with Retry-After still counts as a failure of the service.
      this.#failures += 1;
      if (this.#failures >= this.#options.maxAttempts) return undefined;
    }
    if (this.#waitedMs + delay > this.#options.budgetMs) return undefined;
    this.#waitedMs += delay;
    return delay;
  }

  get waitedMs(): number {
    return this.#waitedMs;
  }
}
