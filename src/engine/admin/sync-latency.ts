/**
 * B2.8, B6.5 "visible latency": how long a change takes to reach the other side, per direction, over the last
 * hour (interfaces.md §4 `latency`).
 *
 * - `fromCrm`: the CRM record's `modifiedon` → the commit of the person write that carried the change (a pass's
 *   page, or records read by id: a webhook's, a 412 re-read). Dataverse stamps `modifiedon` to the second, so a
 *   sample may be up to 1 s longer than the truth (0.5 s on average).
 * - `toCrm`: the commit of the earliest marketing change of a record not yet pushed (its change-feed time) → the
 *   CRM's acceptance of the push that carried it, whoever pushed it (the immediate pusher or a pass).
 *
 * Kept in memory, per process: the figures describe the running engine (a restart starts them afresh), and
 * persisting a sample per change would add a write to every change for a statistic. Memory is bounded whatever
 * the volume: samples go into per-minute histograms with 2 % wide bins, so a percentile is exact to 2 % (and
 * exact when it is the smallest or largest sample of the window).
 */

export type LatencyDirection = 'fromCrm' | 'toCrm';

export interface LatencyPercentiles {
  /** Null when nothing was carried in the window. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  /** Changes carried in the window. */
  readonly count: number;
}

export type LatencySummary = Readonly<Record<LatencyDirection, LatencyPercentiles>>;

/** Receives every sample as it is taken (the API's Prometheus histograms). */
export type LatencyListener = (direction: LatencyDirection, ms: number) => void;

const minuteMs = 60_000;
/** Bins grow by 2 %: bin b holds (growth^(b-1), growth^b] ms; bin 0 holds (0, 1] ms, bin -1 exactly 0. */
const growth = 1.02;
const logGrowth = Math.log(growth);
/** Records whose toCrm start is remembered at most (a CRM outage while everyone edits must not grow memory). */
const maxPendingStarts = 100_000;

interface MinuteBucket {
  readonly minute: number;
  readonly bins: Map<number, number>;
  min: number;
  max: number;
  count: number;
}

/** One direction's window: a bucket per minute, the oldest dropped as the window moves on. */
class Window {
  readonly #minutes: number;
  readonly #buckets: MinuteBucket[] = [];

  constructor(windowMs: number) {
    this.#minutes = Math.max(1, Math.round(windowMs / minuteMs));
  }

  add(ms: number, now: number): void {
    const minute = Math.floor(now / minuteMs);
    this.#expire(minute);
    let bucket = this.#buckets.at(-1);
    if (bucket === undefined || bucket.minute !== minute) {
      bucket = { minute, bins: new Map(), min: ms, max: ms, count: 0 };
      this.#buckets.push(bucket);
    }
    const bin = binOf(ms);
    bucket.bins.set(bin, (bucket.bins.get(bin) ?? 0) + 1);
    bucket.min = Math.min(bucket.min, ms);
    bucket.max = Math.max(bucket.max, ms);
    bucket.count += 1;
  }

  percentiles(now: number): LatencyPercentiles {
    this.#expire(Math.floor(now / minuteMs));
    const bins = new Map<number, number>();
    let count = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const bucket of this.#buckets) {
      for (const [bin, n] of bucket.bins) bins.set(bin, (bins.get(bin) ?? 0) + n);
      count += bucket.count;
      min = Math.min(min, bucket.min);
      max = Math.max(max, bucket.max);
    }
    if (count === 0) return { p50Ms: null, p95Ms: null, p99Ms: null, count };
    const ordered = [...bins].sort(([a], [b]) => a - b);
    const at = (p: number): number => {
      // Nearest rank: the smallest value with at least p of the samples at or below it.
      const rank = Math.max(1, Math.ceil(p * count));
      let seen = 0;
      for (const [bin, n] of ordered) {
        seen += n;
        if (seen >= rank) return Math.round(Math.min(max, Math.max(min, upperBoundOf(bin))));
      }
      return Math.round(max);
    };
    return { p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), count };
  }

  #expire(minute: number): void {
    while (this.#buckets.length > 0 && this.#buckets[0].minute <= minute - this.#minutes)
      this.#buckets.shift();
  }
}

function binOf(ms: number): number {
  if (ms <= 0) return -1;
  return ms <= 1 ? 0 : Math.ceil(Math.log(ms) / logGrowth);
}

function upperBoundOf(bin: number): number {
  return bin < 0 ? 0 : bin === 0 ? 1 : growth ** bin;
}

export interface LatencyRecorderOptions {
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly now?: () => number;
  /** Default one hour (interfaces.md §4). */
  readonly windowMs?: number;
}

/**
 * The engine's latency figures (see the module comment for what is measured). One per engine process: the
 * composition root makes it, the engine's deps carry it (`EngineDeps.latency`), the status and the API's
 * metrics read it. Its `record*` methods are the seam for a path that carries changes outside the engine's own
 * code; `applyFetchedRecords` already records what it carries when its deps have the recorder.
 */
export class LatencyRecorder {
  readonly #now: () => number;
  readonly #windows: Record<LatencyDirection, Window>;
  readonly #listeners = new Set<LatencyListener>();
  /** toCrm: record key → commit time of its earliest marketing change not yet pushed. */
  readonly #pendingStarts = new Map<string, number>();

  constructor(options: LatencyRecorderOptions = {}) {
    this.#now = options.now ?? Date.now;
    const windowMs = options.windowMs ?? 3_600_000;
    this.#windows = { fromCrm: new Window(windowMs), toCrm: new Window(windowMs) };
  }

  /** One change carried in `direction` that took `ms` (negative clock skew counts as 0). */
  record(direction: LatencyDirection, ms: number): void {
    if (!Number.isFinite(ms)) return;
    const sample = Math.max(0, ms);
    this.#windows[direction].add(sample, this.#now());
    for (const listener of this.#listeners) {
      try {
        listener(direction, sample);
      } catch {
        // A listener (metrics) must never fail the push or the page that carried the change.
      }
    }
  }

  /** fromCrm: a CRM change made at `modifiedOn` (ISO text or epoch ms) has just committed to a person. */
  recordFromCrm(modifiedOn: string | number): void {
    const at = typeof modifiedOn === 'number' ? modifiedOn : Date.parse(modifiedOn);
    if (Number.isFinite(at)) this.record('fromCrm', this.#now() - at);
  }

  /**
   * toCrm: a marketing change committed at `committedAt` (epoch ms) is pending for the record. The earliest
   * change not yet pushed is the one the sample measures.
   */
  marketingChangePending(entity: string, crmId: string, committedAt: number): void {
    const key = `${entity}:${crmId}`;
    const known = this.#pendingStarts.get(key);
    if (known !== undefined && known <= committedAt) return;
    if (known === undefined && this.#pendingStarts.size >= maxPendingStarts) return;
    this.#pendingStarts.set(key, committedAt);
  }

  /** toCrm: the CRM accepted the record's push: one sample, from its earliest pending change. */
  pushAccepted(entity: string, crmId: string): void {
    const key = `${entity}:${crmId}`;
    const start = this.#pendingStarts.get(key);
    if (start === undefined) return;
    this.#pendingStarts.delete(key);
    this.record('toCrm', this.#now() - start);
  }

  /** toCrm: the record's pending push ended without a write (nothing left to push, refused): no sample. */
  pushDropped(entity: string, crmId: string): void {
    this.#pendingStarts.delete(`${entity}:${crmId}`);
  }

  /** p50/p95/p99 per direction over the window. */
  summary(): LatencySummary {
    const now = this.#now();
    return { fromCrm: this.#windows.fromCrm.percentiles(now), toCrm: this.#windows.toCrm.percentiles(now) };
  }

  /** Calls `listener` with every sample from now on; returns its removal. */
  onSample(listener: LatencyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
