import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseConfig } from '../config/config.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { EngineLock } from '../store/engine-lock.ts';
import { createEngineLock } from '../store/engine-lock-registry.ts';

/** How often a standby replica tries to take the hold. */
const standbyRetryMs = 5_000;
/**
 * How long `require` waits for the hold before it refuses. A supervisor restarts `syncline` right after killing
 * it, while the old engine child may still be stopping at a safe boundary — it takes at most 10 s
 * (bin/engine-child.js); refusing at once would make the restart fail for no reason.
 */
const requireWaitMs = 12_000;
const requirePollMs = 250;

/**
 * Runs the sync only while this process holds the database (B2.9: one engine per database).
 *
 * - `require` (SQLite, and `sync --once` on any backend): a database another engine holds is refused at once
 *   with ENGINE_ALREADY_RUNNING — two engines would link one CRM record twice and overwrite each other's bases.
 * - `standby` (`syncline start` on PostgreSQL): the process serves the API, the UI and flow actions, and takes
 *   the hold when the holder goes away (it dies, or stops); a hold lost while running (its connection failed)
 *   stops the sync at its next safe boundary (restart the process to rejoin as a standby). This is the seam the cluster's leases
 *   with fencing epochs replace; until then a replica cut off from PostgreSQL stops only when it notices.
 */
export class EngineHold {
  readonly #database: DatabaseConfig;
  readonly #logger: Logger;
  #lock: EngineLock | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(database: DatabaseConfig, logger: Logger) {
    this.#database = database;
    this.#logger = logger.child({ component: 'engine-hold' });
  }

  /**
   * Takes the hold, waiting up to 12 s for an engine that is stopping; throws ENGINE_ALREADY_RUNNING when
   * another engine still holds it then.
   */
  async require(): Promise<void> {
    const provider = createEngineLock(this.#database);
    const deadline = Date.now() + requireWaitMs;
    let warned = false;
    for (;;) {
      this.#lock = await provider.tryAcquire();
      if (this.#lock !== undefined) return;
      if (Date.now() >= deadline) throw alreadyRunning(this.#database);
      if (!warned) {
        warned = true;
        this.#logger.warn(
          `another engine holds this database; waiting up to ${requireWaitMs / 1000} s for it to stop (B2.9)`,
        );
      }
      await sleep(requirePollMs);
    }
  }

  /**
   * Starts `run` once the hold is taken — now, or later from standby — and `halt`s it when the hold is lost.
   * Never throws: failures to reach the database are retried.
   */
  async runWhileHeld(run: () => Promise<void>, halt: () => Promise<void>): Promise<void> {
    let warned = false;
    const attempt = async () => {
      if (this.#closed) return;
      try {
        const lock = await createEngineLock(this.#database).tryAcquire();
        if (this.#closed) {
          await lock?.release();
          return;
        }
        if (lock === undefined) {
          if (!warned) {
            warned = true;
            this.#logger.warn(
              'another engine holds this database: this process serves the API and waits to take the sync over (B2.9)',
            );
          }
          this.#retry(attempt);
          return;
        }
        this.#lock = lock;
        lock.onLost((reason) => {
          // The engine cannot be restarted in place; the API keeps serving and a restart rejoins as standby.
          this.#logger.error(
            { reason },
            'lost the engine hold: stopping the sync; restart this process to rejoin as a standby',
          );
          this.#lock = undefined;
          void halt();
        });
        this.#logger.info('took the engine hold: the sync runs in this process');
        await run();
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not take the engine hold; retrying');
        this.#retry(attempt);
      }
    };
    await attempt();
  }

  /** Whether the sync may run in this process now. */
  get held(): boolean {
    return this.#lock !== undefined;
  }

  /** Stops waiting and releases the hold. Call after the sync stopped. */
  async release(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#lock?.release();
    this.#lock = undefined;
  }

  #retry(attempt: () => Promise<void>): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void attempt(), standbyRetryMs);
    this.#timer.unref();
  }
}

function alreadyRunning(database: DatabaseConfig): SynclineError {
  const where =
    database.kind === 'sqlite' ? `the SQLite database ${database.path}` : 'this PostgreSQL schema';
  return new SynclineError(
    'ENGINE_ALREADY_RUNNING',
    `Another Syncline engine (syncline start or sync --once) is running on ${where}; two would overwrite each other's sync state. Stop it first, or use it.`,
  );
}
