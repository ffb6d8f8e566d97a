import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface ChangeSignalOptions {
  /** A listener threw: reported here, the other listeners are still called. */
  readonly onError: (error: unknown) => void;
  /**
   * Inside the transaction that recorded marketing changes, before it commits: tells other processes (PostgreSQL:
   * `pg_notify`, delivered at commit and dropped on rollback). Absent where only this process writes the database.
   */
  readonly announce?: (db: Kysely<Database>) => Promise<void>;
  /** The first listener subscribed: start hearing other processes' announcements (PostgreSQL: LISTEN). */
  readonly onFirstListener?: () => void;
}

/**
 * What backs `PersonStore.onMarketingCommit` (B2.8): the listeners of one database in this process, raised after
 * a transaction that recorded marketing changes (any origin but `sync`) commits. Every store of the database in
 * this process shares one (SQLite: per open file; PostgreSQL: per store, plus a LISTEN connection for the
 * commits of other processes, postgres-change-listener.ts).
 */
export class ChangeSignal {
  readonly #listeners = new Set<() => void>();
  readonly #options: ChangeSignalOptions;

  constructor(options: ChangeSignalOptions) {
    this.#options = options;
  }

  /** Adds a listener; returns its removal. The same function added twice is called once. */
  subscribe(listener: () => void): () => void {
    const first = this.#listeners.size === 0;
    this.#listeners.add(listener);
    if (first) this.#options.onFirstListener?.();
    return () => this.#listeners.delete(listener);
  }

  /** See `ChangeSignalOptions.announce`; nothing where no other process listens. */
  async announce(db: Kysely<Database>): Promise<void> {
    await this.#options.announce?.(db);
  }

  /** Calls every listener; a listener that throws is reported and does not stop the others. A stable function. */
  readonly emit = (): void => {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        this.#options.onError(error);
      }
    }
  };
}
