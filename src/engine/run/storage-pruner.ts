import type { Logger } from '../../logging/logger.ts';
import type { CursorStore } from '../../store/cursor-store.ts';
import type { PersonStore } from '../../store/person-store.ts';
import type { RunLogStore } from '../../store/run-log-store.ts';

const dayMs = 86_400_000;
/** The status counts throughput over the last 24 hours (B6.5); an hour more covers a slow clock. */
const throughputKeptMs = 25 * 3_600_000;

export interface StoragePrunerOptions {
  /**
   * The cursor names of every reader of the marketing change feed: the engine's (`marketingCursorName`) and
   * the campaign runner's. An entry is dropped only once all of them have passed it.
   */
  readonly feedReaders: readonly string[];
  /** Entries every reader has passed are still kept this long after their commit (default 7). */
  readonly changeFeedDays: number;
  /** A sync error is kept this long after it was last seen (default 90; the original keeps 5). */
  readonly syncErrorDays: number;
  /** Time between two rounds; default 10 minutes, or half the change feed's retention when that is shorter (≥ 1 s). */
  readonly intervalMs?: number;
  /** Injected so tests can move time. */
  readonly now?: () => Date;
}

export interface PruneReport {
  readonly personChanges: number;
  readonly syncErrors: number;
  readonly throughputRows: number;
}

type PrunerStore = Pick<PersonStore, 'prunePassedPersonChanges'> &
  Pick<RunLogStore, 'pruneSyncErrors' | 'pruneSyncedCounts'> &
  CursorStore;

/**
 * Bounded storage: keeps the tables that every pass or edit appends to from growing forever. Each round
 * deletes the marketing change feed's entries that every reader has passed and that are older than the
 * retention, the sync errors not seen within theirs, and the per-minute throughput counts the status no longer
 * reads.
 *
 * It runs beside the engine, under the `sync` hold (one replica of a PostgreSQL cluster at a time, so the
 * deletes do not contend), but it would be just as safe in every replica at once: each delete is bounded by
 * what is true whenever it runs — readers' cursors only move forward, and a row below every cursor stays
 * below it — so a second or late pruner deletes nothing more than the first, and no fence is needed.
 */
export class StoragePruner {
  readonly #store: PrunerStore;
  readonly #log: Logger;
  readonly #options: StoragePrunerOptions;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;

  constructor(store: PrunerStore, logger: Logger, options: StoragePrunerOptions) {
    this.#store = store;
    this.#log = logger.child({ component: 'pruner' });
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** A round now, then one per interval; may be called again after `stop`. */
  start(): void {
    if (this.#timer !== undefined) return;
    // A retention of minutes (a soak) is kept to within half of it; days are kept to within 10 minutes.
    const every =
      this.#options.intervalMs ??
      Math.min(600_000, Math.max(1000, (this.#options.changeFeedDays * dayMs) / 2));
    this.#timer = setInterval(() => void this.#tick(), every);
    this.#timer.unref();
    void this.#tick();
  }

  /** Stops the timer and waits for a round under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#round;
  }

  /** One round; tests call it to run in step. */
  async prune(): Promise<PruneReport> {
    const now = this.#now().getTime();
    const before = (ms: number) => new Date(now - ms).toISOString();
    const report = {
      personChanges: await this.#store.prunePassedPersonChanges({
        readers: this.#options.feedReaders,
        before: before(this.#options.changeFeedDays * dayMs),
      }),
      syncErrors: await this.#store.pruneSyncErrors(before(this.#options.syncErrorDays * dayMs)),
      throughputRows: await this.#store.pruneSyncedCounts(before(throughputKeptMs)),
    };
    if (report.personChanges + report.syncErrors + report.throughputRows > 0)
      this.#log.info(report, 'old rows pruned');
    return report;
  }

  async #tick(): Promise<void> {
    if (this.#round !== undefined) return;
    this.#round = this.prune()
      .catch((error: unknown) => this.#log.warn({ err: error }, 'pruning failed; trying again later'))
      .finally(() => {
        this.#round = undefined;
      });
    await this.#round;
  }
}
