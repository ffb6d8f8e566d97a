import { setTimeout as sleep } from 'node:timers/promises';
import { dataverseErrorResponse, type HttpMessageResponse } from '../batch/http-message.ts';
import { FaultPlan } from './fault-plan.ts';
import {
  defaultWindowSeconds,
  limitsOff,
  type FaultSettings,
  type LimitsSettings,
} from './limits-settings.ts';
import { SlidingWindow, type WindowEntry } from './sliding-window.ts';
import { throttleMessage, throttleResponse, type ThrottleReason } from './throttle-response.ts';

/** What a request did, reported when it finishes; drives the cost model. */
export interface RequestUsage {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  /** Operations executed: 1 for a plain request, the number of inner requests for a `$batch`. */
  readonly operations?: number;
}

/** An admitted request. `finish` must be called exactly once, also when the handler failed. */
export interface RequestTicket {
  /** Debug headers Dataverse adds to normal responses (reference §6); empty when no limit is set. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Charges the simulated execution time to the window, waits for it (plus fault latency), then frees the
   * concurrency slot. `dropConnection` tells the server to destroy the socket instead of answering (the
   * request's writes stay committed).
   */
  finish(usage: RequestUsage): Promise<{ dropConnection: boolean; executionMs: number }>;
}

export type Admission =
  | { readonly admitted: true; readonly ticket: RequestTicket }
  | { readonly admitted: false; readonly response: HttpMessageResponse };

export interface TrafficStats {
  admitted: number;
  /** Requests admitted per systemuser id (several application users, interfaces.md §3). */
  admittedByUser: Record<string, number>;
  throttled: Record<ThrottleReason, number>;
  /** 429s per systemuser id and limit: service protection is per user (reference §6). */
  throttledByUser: Record<string, Record<ThrottleReason, number>>;
  /**
   * `droppedWrites`: who lost the answer to a committed write, and when (epoch ms), the latest 1,000 — so a
   * test harness can tell which client could not know whether its write landed.
   */
  faults: {
    http5xx: number;
    droppedAfterCommit: number;
    droppedWrites: { user: string; at: number }[];
    /** Responses held back by injected latency (`latencyMs`/`latencyJitterMs`), and the total added. */
    latency: number;
    latencyMsTotal: number;
  };
  /** Faults injected per systemuser id and kind, so a harness with several identities can tell whose. */
  faultsByUser: Record<string, FaultCounts>;
}

export interface FaultCounts {
  http5xx: number;
  droppedAfterCommit: number;
  latency: number;
}

const droppedWritesKept = 1000;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * Service protection and fault injection for the emulator (reference §6, interfaces.md §7): one object the
 * server consults per request — `admit` before executing (429 / injected 5xx / proceed), `ticket.finish` after.
 *
 * Cost model: a request's simulated execution time is
 * `msPerRequest × operations + rowsRead × msPerRecordRead + rowsWritten × msPerRecordWrite`; the response is
 * really delayed by it and it is charged to the user's sliding window. Limits: the request count and the
 * execution time trip only after being exceeded — the request that would be number N+1 in the window is
 * refused; execution time is known only afterwards, so requests are refused once the window's charged time is
 * above the limit — while concurrency rejects immediately. See docs/emulator-limits.md for the throughput ceiling.
 */
export class TrafficControl {
  #limits: LimitsSettings = limitsOff;
  readonly #faults = new FaultPlan();
  readonly #windows = new Map<string, SlidingWindow>();
  readonly #clock: Clock;
  readonly #stats: TrafficStats = {
    admitted: 0,
    admittedByUser: {},
    throttled: { requests: 0, executionTime: 0, concurrency: 0 },
    throttledByUser: {},
    faults: { http5xx: 0, droppedAfterCommit: 0, droppedWrites: [], latency: 0, latencyMsTotal: 0 },
    faultsByUser: {},
  };

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? realClock;
  }

  configureLimits(settings: LimitsSettings): void {
    this.#limits = settings;
    this.#windows.clear(); // a new configuration starts with fresh windows
  }

  configureFaults(settings: FaultSettings): void {
    this.#faults.configure(settings);
  }

  get limits(): LimitsSettings {
    return this.#limits;
  }

  get faults(): FaultSettings {
    return this.#faults.settings;
  }

  stats(): TrafficStats {
    return structuredClone(this.#stats);
  }

  #faultsOf(user: string): FaultCounts {
    return (this.#stats.faultsByUser[user] ??= { http5xx: 0, droppedAfterCommit: 0, latency: 0 });
  }

  get #windowSeconds(): number {
    return this.#limits.windowSeconds > 0 ? this.#limits.windowSeconds : defaultWindowSeconds;
  }

  /** Decides whether `user`'s request may run (limits are per user, reference §6). */
  admit(user: string): Admission {
    const now = this.#clock.now();
    const windowMs = this.#windowSeconds * 1000;
    let window = this.#windows.get(user);
    if (window === undefined) {
      window = new SlidingWindow();
      this.#windows.set(user, window);
    }
    window.prune(now, windowMs);

    const rejection = this.#check(window, now, windowMs);
    if (rejection !== undefined) {
      this.#stats.throttled[rejection.reason] += 1;
      const perUser = (this.#stats.throttledByUser[user] ??= {
        requests: 0,
        executionTime: 0,
        concurrency: 0,
      });
      perUser[rejection.reason] += 1;
      if (window.idle) this.#windows.delete(user);
      return { admitted: false, response: rejection.response };
    }

    // Only the request and time limits need a log of past requests; without them memory stays flat.
    const { requestsPerWindow, executionMsPerWindow } = this.#limits;
    const entry = requestsPerWindow > 0 || executionMsPerWindow > 0 ? window.add(now) : undefined;
    window.inFlight += 1;
    this.#stats.admitted += 1;
    this.#stats.admittedByUser[user] = (this.#stats.admittedByUser[user] ?? 0) + 1;
    const headers = this.#debugHeaders(window);

    if (this.#faults.failBeforeExecuting()) {
      this.#stats.faults.http5xx += 1;
      this.#faultsOf(user).http5xx += 1;
      window.inFlight -= 1;
      // 0x80040216 is Dataverse's generic "unexpected error"; nothing was executed.
      return {
        admitted: false,
        response: dataverseErrorResponse(503, '0x80040216', 'An unexpected error occurred.'),
      };
    }
    return { admitted: true, ticket: this.#ticket(user, window, entry, headers) };
  }

  #check(
    window: SlidingWindow,
    now: number,
    windowMs: number,
  ): { reason: ThrottleReason; response: HttpMessageResponse } | undefined {
    const limits = this.#limits;
    const reject = (reason: ThrottleReason, retryAfterMs: number) => ({
      reason,
      response: throttleResponse(reason, throttleMessage(reason, limits, this.#windowSeconds), retryAfterMs),
    });
    if (limits.maxConcurrent > 0 && window.inFlight >= limits.maxConcurrent)
      return reject('concurrency', 1000);
    if (limits.requestsPerWindow > 0 && window.requests >= limits.requestsPerWindow) {
      return reject('requests', window.msUntilRequestsBelow(limits.requestsPerWindow, now, windowMs));
    }
    if (limits.executionMsPerWindow > 0 && window.executionMs > limits.executionMsPerWindow) {
      return reject(
        'executionTime',
        window.msUntilExecutionAtMost(limits.executionMsPerWindow, now, windowMs),
      );
    }
    return undefined;
  }

  #debugHeaders(window: SlidingWindow): Record<string, string> {
    const headers: Record<string, string> = {};
    const { requestsPerWindow, executionMsPerWindow } = this.#limits;
    if (requestsPerWindow > 0) {
      headers['x-ms-ratelimit-burst-remaining-xrm-requests'] = String(
        Math.max(0, requestsPerWindow - window.requests),
      );
    }
    if (executionMsPerWindow > 0) {
      headers['x-ms-ratelimit-time-remaining-xrm-requests'] = String(
        Math.max(0, executionMsPerWindow - window.executionMs),
      );
    }
    return headers;
  }

  #ticket(
    user: string,
    window: SlidingWindow,
    entry: WindowEntry | undefined,
    headers: Record<string, string>,
  ): RequestTicket {
    let finished = false;
    const admittedAt = this.#clock.now();
    return {
      headers,
      finish: async (usage) => {
        if (finished) throw new Error('RequestTicket.finish called twice');
        finished = true;
        const { msPerRequest, msPerRecordRead, msPerRecordWrite } = this.#limits;
        const executionMs =
          msPerRequest * (usage.operations ?? 1) +
          usage.rowsRead * msPerRecordRead +
          usage.rowsWritten * msPerRecordWrite;
        if (entry !== undefined) window.charge(entry, executionMs);
        const dropConnection = usage.rowsWritten > 0 && this.#faults.dropAfterCommit();
        if (dropConnection) {
          this.#stats.faults.droppedAfterCommit += 1;
          this.#faultsOf(user).droppedAfterCommit += 1;
          const dropped = this.#stats.faults.droppedWrites;
          dropped.push({ user, at: Date.now() });
          if (dropped.length > droppedWritesKept) dropped.shift();
        }
        // The modelled execution time is the server's whole time on the request, so the time the emulator
        // really spent building the answer (0.3-0.7 s for a 5,000-row page) counts towards it, not on top.
        const spent = this.#clock.now() - admittedAt;
        const injected = this.#faults.latencyMs();
        if (injected > 0) {
          this.#stats.faults.latency += 1;
          this.#stats.faults.latencyMsTotal += Math.round(injected);
          this.#faultsOf(user).latency += 1;
        }
        const delay = Math.max(0, executionMs - spent) + injected;
        try {
          if (delay > 0) await this.#clock.sleep(delay);
        } finally {
          window.inFlight -= 1;
          if (window.idle) this.#windows.delete(user);
        }
        return { dropConnection, executionMs };
      },
    };
  }
}
