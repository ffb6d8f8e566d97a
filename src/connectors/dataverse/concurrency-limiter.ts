/**
 * Adaptive limit on concurrent Dataverse requests (AIMD, like TCP congestion control).
 *
 * Why: Dataverse enforces 52 concurrent requests per user and web server, and answers 429 immediately beyond
 * it; its `x-ms-dop-hint` header recommends a degree of parallelism ("exceeding it makes performance worse").
 * So: start from the hint (or a cautious default), grow, halve on a concurrency 429 — once per congestion
 * event, not once per throttled request of the same burst — and never exceed 52. While a `Retry-After` is
 * running no new request starts at all, because Dataverse lengthens the penalty of clients that keep sending
 * (api-limits doc; B6.2).
 *
 * Growth is TCP's: slow start, then additive. Until the lane's first concurrency 429 or the server's
 * `x-ms-dop-hint`, each successful request adds a slot (4 → 52 in 48 successes); after either, one slot per
 * window of successes. Additive growth alone took hundreds of requests to get near 52, and a push has few,
 * long ones (S4, docs/benchmarks.md): when a window's budget freed, the rest of a round went out over ~15
 * slots as a few long requests where 52 short ones finish in a third of the time. Only a signal about
 * parallelism ends slow start: a budget 429 says the window is spent, which fewer requests in flight does not
 * change (the pause is the answer to it).
 *
 * After a pause the lane reopens gradually: one request, then twice as many each "probe" interval (twice the
 * time this lane's 429s took to come back) that brings no new 429 — until the limit is reached. Dataverse's
 * sliding window frees its budget one expired request at a time, so the moment a Retry-After names is often
 * room for one request; letting the whole limit go then drew a 429 for every other request (tried in S4:
 * 215–229 budget 429s against 80–103), which the real service answers with longer penalties. A 429 comes back
 * at once while an admitted request runs for seconds, so a probe interval without one says the requests
 * started before it were admitted.
 *
 * The request-count and execution-time limits are budgets per sliding window, not caused by parallelism: the
 * `Retry-After` says when the budget frees and the pause honours it, so such a 429 leaves the limit as it is.
 * Halving there only left too few requests in flight when the window freed (S4, docs/benchmarks.md: limit
 * 14 → 2 in three throttles, the rest of a round then sent as a few long requests); Microsoft's advice is to
 * ramp up "until you hit the limits, then let the server tell you" via `Retry-After` (performance anchors).
 *
 * Several application users (interfaces.md §2): Dataverse counts every limit per user, so each identity is a
 * lane of its own — its own AIMD limit, requests in flight and Retry-After pause — behind one queue. A waiting
 * request starts on the lane with the most free slots (ties: the one that has started the fewest requests, so
 * the budgets drain evenly), and a lane in a Retry-After pause is simply skipped while another has room; a
 * request pinned to a lane (`acquire(…, { lane })`: WhoAmI and privileges of one user) waits for that lane only.
 */
export interface ConcurrencyLimiterOptions {
  readonly initial?: number;
  readonly min?: number;
  readonly max?: number;
  /** Identities (application users), each with its own limit and pause (default 1). */
  readonly lanes?: number;
  readonly now?: () => number;
}

export const dataverseConcurrencyCeiling = 52;

/** A 429's round trip before one was measured on the lane (a Retry-After can come from a `$batch` part). */
const defaultThrottleRoundTripMs = 50;
/** Bounds of the probe interval: a localhost 429 takes a millisecond; a minute of probing is no reopening. */
const minProbeMs = 10;
const maxProbeMs = 2000;

/** Held by one in-flight request; give it back with `release`. */
export interface Permit {
  readonly startedAt: number;
  /** The identity (lane index) the request runs as. */
  readonly lane: number;
}

export type RequestOutcome = 'success' | 'throttled' | 'failure';

/** Which limit a 429 is about: too many requests at once, or a per-window budget (requests, execution time). */
export type ThrottleKind = 'concurrency' | 'budget';

/** Dataverse's service-protection codes (reference §6); an unknown 429 counts as concurrency (it halves). */
export function throttleKindOf(crmCode: string | undefined): ThrottleKind {
  return crmCode === '0x80072321' || crmCode === '0x80072322' ? 'budget' : 'concurrency';
}

/** One identity's state. */
interface Lane {
  limit: number;
  inFlight: number;
  started: number;
  hinted: boolean;
  /** Growing by a slot per success: no concurrency 429 and no `x-ms-dop-hint` seen on this lane yet. */
  slowStart: boolean;
  lastDecreaseAt: number;
  pausedUntil: number;
  /** Reopening after the pause that ended at `pausedUntil`: requests started since (see the class comment). */
  reopenStarts: number;
  reopening: boolean;
  /** Smoothed time (ms) a 429 took from start to answer on this lane; the probe interval is twice it. */
  throttleRoundTripMs: number;
}

/** What one lane looks like now (`stats`). */
export interface LaneState {
  readonly limit: number;
  readonly inFlight: number;
  /** Epoch ms (of `now`) until which a Retry-After holds the lane; 0 when it is not paused. */
  readonly pausedUntil: number;
}

interface Waiter {
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
  readonly lane: number | undefined;
}

export class ConcurrencyLimiter {
  readonly #min: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #lanes: Lane[];
  #pauseTimer: NodeJS.Timeout | undefined;
  readonly #waiters: Waiter[] = [];
  /** How many waiters at the front are resends (they keep their arrival order among themselves). */
  #resent = 0;

  constructor(options: ConcurrencyLimiterOptions = {}) {
    this.#min = Math.max(1, options.min ?? 1);
    this.#max = Math.min(dataverseConcurrencyCeiling, options.max ?? dataverseConcurrencyCeiling);
    this.#now = options.now ?? Date.now;
    const initial = this.#clamp(options.initial ?? 4);
    this.#lanes = Array.from({ length: Math.max(1, Math.floor(options.lanes ?? 1)) }, () => ({
      limit: initial,
      inFlight: 0,
      started: 0,
      hinted: false,
      slowStart: true,
      lastDecreaseAt: -Infinity,
      pausedUntil: 0,
      reopenStarts: 0,
      reopening: false,
      throttleRoundTripMs: defaultThrottleRoundTripMs,
    }));
  }

  /** Current limit over every lane (fractional while growing; `Math.floor` of each lane's may run). */
  get limit(): number {
    return this.#lanes.reduce((sum, lane) => sum + lane.limit, 0);
  }

  get inFlight(): number {
    return this.#lanes.reduce((sum, lane) => sum + lane.inFlight, 0);
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get lanes(): number {
    return this.#lanes.length;
  }

  lane(index: number): LaneState {
    const { limit, inFlight, pausedUntil } = this.#laneAt(index);
    return { limit, inFlight, pausedUntil: pausedUntil > this.#now() ? pausedUntil : 0 };
  }

  /**
   * Waits for a slot (and for any Retry-After pause to end). A request sent again (`resend`) goes before those
   * not sent yet: it is older work that already waited its Retry-After, and a caller waiting for a group of
   * requests (a push round) waits for the last one — behind a queue refilled meanwhile it became the group's
   * straggler (S4, docs/benchmarks.md: two retried chunks finished 3 s after the rest of the push). `lane`
   * pins the request to one identity; otherwise the permit's `lane` says which one it runs as.
   */
  acquire(signal?: AbortSignal, options: { resend?: boolean; lane?: number } = {}): Promise<Permit> {
    signal?.throwIfAborted();
    if (options.lane !== undefined) this.#laneAt(options.lane);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, lane: options.lane };
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
    const lane = this.#laneAt(permit.lane);
    lane.inFlight -= 1;
    if (outcome === 'success') {
      lane.limit = this.#clamp(lane.limit + (lane.slowStart ? 1 : 1 / Math.floor(lane.limit)));
    } else if (outcome === 'throttled') {
      const roundTrip = Math.max(0, this.#now() - permit.startedAt);
      lane.throttleRoundTripMs = 0.75 * lane.throttleRoundTripMs + 0.25 * roundTrip;
      this.throttled(permit, kind);
    }
    this.#pump();
  }

  /**
   * A 429 seen for work started with `permit` (also for parts of a `$batch` that itself succeeded). Only a
   * concurrency 429 lowers the limit of the permit's lane; a budget 429 is answered by the `Retry-After` pause
   * alone.
   */
  throttled(permit: Permit, kind: ThrottleKind = 'concurrency'): void {
    if (kind === 'budget') return;
    const lane = this.#laneAt(permit.lane);
    // Requests started before the last decrease belong to the same congestion event.
    if (permit.startedAt < lane.lastDecreaseAt) return;
    lane.slowStart = false;
    lane.limit = this.#clamp(Math.floor(lane.limit / 2));
    lane.lastDecreaseAt = this.#now();
  }

  /**
   * The server's recommended parallelism (`x-ms-dop-hint`) for a lane: its starting point, taken once, from
   * which the lane grows additively ("exceeding it makes performance worse").
   */
  observeHint(degreeOfParallelism: number, laneIndex = 0): void {
    const lane = this.#laneAt(laneIndex);
    if (lane.hinted || !Number.isFinite(degreeOfParallelism) || degreeOfParallelism < 1) return;
    lane.hinted = true;
    lane.slowStart = false;
    lane.limit = this.#clamp(degreeOfParallelism);
    this.#pump();
  }

  /** Starts nothing new on the lane for `ms` (a Retry-After for that identity). */
  pause(ms: number, laneIndex = 0): void {
    const lane = this.#laneAt(laneIndex);
    const until = this.#now() + ms;
    if (until <= lane.pausedUntil) return;
    lane.pausedUntil = until;
    lane.reopening = true;
    lane.reopenStarts = 0;
    this.#pump();
  }

  /** Rejects every waiter (the connector is closing). */
  close(error: unknown): void {
    clearTimeout(this.#pauseTimer);
    this.#resent = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #pump(): void {
    const now = this.#now();
    for (let i = 0; i < this.#waiters.length;) {
      const waiter = this.#waiters[i];
      const lane = waiter.lane ?? this.#roomiest(now);
      if (lane === undefined) break; // no lane has room: nobody behind can start either
      if (!this.#canStart(this.#lanes[lane], now)) {
        i += 1; // pinned to a busy lane: let the others pass
        continue;
      }
      this.#waiters.splice(i, 1);
      if (i < this.#resent) this.#resent -= 1;
      this.#lanes[lane].inFlight += 1;
      this.#lanes[lane].started += 1;
      if (this.#lanes[lane].reopening) this.#lanes[lane].reopenStarts += 1;
      waiter.resolve({ startedAt: now, lane });
    }
    this.#schedulePump(now);
  }

  /** The lane with the most free slots that may start a request now; ties go to the least used. */
  #roomiest(now: number): number | undefined {
    let best: number | undefined;
    for (const [index, lane] of this.#lanes.entries()) {
      if (!this.#canStart(lane, now)) continue;
      const other = best === undefined ? undefined : this.#lanes[best];
      const room = Math.floor(lane.limit) - lane.inFlight;
      const otherRoom = other === undefined ? -1 : Math.floor(other.limit) - other.inFlight;
      if (other === undefined || room > otherRoom || (room === otherRoom && lane.started < other.started)) {
        best = index;
      }
    }
    return best;
  }

  #canStart(lane: Lane, now: number): boolean {
    if (lane.pausedUntil > now || lane.inFlight >= Math.floor(lane.limit)) return false;
    return !lane.reopening || lane.reopenStarts < this.#reopenAllowance(lane, now);
  }

  /** How many requests a reopening lane may have started by `now` (it stops reopening once that is its limit). */
  #reopenAllowance(lane: Lane, now: number): number {
    const probes = Math.floor((now - lane.pausedUntil) / this.#probeMs(lane));
    const allowance = 2 ** Math.min(probes, 16);
    if (allowance >= Math.floor(lane.limit)) lane.reopening = false;
    return allowance;
  }

  #probeMs(lane: Lane): number {
    return Math.min(maxProbeMs, Math.max(minProbeMs, 2 * lane.throttleRoundTripMs));
  }

  /**
   * While requests wait, wakes up when the earliest pause ends or a reopening lane's next probe interval
   * begins (a release wakes the queue by itself).
   */
  #schedulePump(now: number): void {
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = undefined;
    if (this.#waiters.length === 0) return;
    const wakes: number[] = [];
    for (const lane of this.#lanes) {
      if (lane.pausedUntil > now) wakes.push(lane.pausedUntil);
      else if (lane.reopening && this.#reopenAllowance(lane, now) < Math.floor(lane.limit)) {
        const probe = this.#probeMs(lane);
        wakes.push(lane.pausedUntil + (Math.floor((now - lane.pausedUntil) / probe) + 1) * probe);
      }
    }
    if (wakes.length === 0) return;
    this.#pauseTimer = setTimeout(() => this.#pump(), Math.max(0, Math.min(...wakes) - now));
  }

  #laneAt(index: number): Lane {
    const lane = this.#lanes[index];
    if (lane === undefined) throw new RangeError(`No identity ${index} in the concurrency limiter.`);
    return lane;
  }

  #clamp(value: number): number {
    return Math.min(this.#max, Math.max(this.#min, value));
  }
}
