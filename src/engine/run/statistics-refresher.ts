import type { Logger } from '../../logging/logger.ts';
import type { Store } from '../../store/store.ts';

/**
 * Keeps the store's query-planner statistics current while a pass writes many rows. An initial load grows
 * the tables from nothing to millions of rows, and each page looks its 5,000 records up by id; PostgreSQL
 * without fresh statistics plans those lookups as table scans, so the load slows as it goes (measured at
 * 1,000,000 contacts: 0.7–1.7 s per lookup by 550,000 rows, and ≈ 750 rows/s). Autovacuum would analyze the tables,
 * but it can be off and lags behind a bulk load anyway.
 *
 * The refresh runs in the background (PostgreSQL analyzes on another connection while the engine goes on;
 * SQLite runs it between two page transactions) after `firstAt` rows and then each time the rows written in
 * this pass have doubled: a handful of refreshes for any load, none for an ordinary incremental pass.
 */
export class StatisticsRefresher {
  readonly #store: Store;
  readonly #logger: Logger;
  #nextAt: number;
  #written = 0;
  #running: Promise<void> | undefined;

  constructor(store: Store, logger: Logger, firstAt = 20_000) {
    this.#store = store;
    this.#logger = logger;
    this.#nextAt = firstAt;
  }

  /** Counts rows the pass has written; starts a refresh when a threshold is crossed and none is running. */
  rowsWritten(count: number): void {
    this.#written += count;
    if (this.#written < this.#nextAt || this.#running !== undefined) return;
    this.#nextAt = this.#written * 2;
    const started = Date.now();
    this.#running = this.#store
      .refreshStatistics()
      .then(
        () =>
          this.#logger.debug(
            { rows: this.#written, ms: Date.now() - started },
            'planner statistics refreshed',
          ),
        // Only a slower plan is at stake: the pass goes on.
        (error: unknown) =>
          this.#logger.warn(
            { err: error instanceof Error ? { message: error.message, name: error.name } : error },
            'refreshing the planner statistics failed',
          ),
      )
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Resolves once no refresh is running (the pass awaits it before it moves on). */
  async settled(): Promise<void> {
    await this.#running;
  }
}
