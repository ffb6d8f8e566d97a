import type { Logger } from '../../logging/logger.ts';

/** Looks at the feed again this many times after a wake-up whose push found nothing new in it. */
const emptyLooks = 2;

export interface PushSchedulerOptions {
  /** How long the first wake-up after a quiet spell waits for more changes to join it (B2.8 push delay). */
  readonly delayMs: number;
  /** One push of everything committed and pending; resolves with how many new marketing changes it found. */
  readonly push: (signal: AbortSignal) => Promise<number>;
  readonly logger: Logger;
}

/**
 * When the immediate pusher pushes (B2.8): the first wake-up after a quiet spell schedules a push `delayMs`
 * later, and every wake-up before it starts joins it (coalescing). A wake-up during a push schedules the next one
 * for `delayMs` after that wake-up — at once if the push took longer — so no committed change waits more than
 * the delay plus the push in front of it. A push that found nothing new in the feed is followed by a look or two
 * more after the delay: on PostgreSQL the feed withholds a change while an older transaction still runs.
 * `pause()` (the sync disabled, B8.1) drops what is scheduled and aborts a running push at its next safe
 * boundary; wake-ups are ignored until `resume()`. A failed push is logged and left to the next wake-up or pass.
 */
export class PushScheduler {
  readonly #options: PushSchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  /** When the oldest wake-up not yet served is due; undefined when none waits. */
  #dueAt: number | undefined;
  #looksLeft = 0;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #paused = true;
  #stopped = false;

  constructor(options: PushSchedulerOptions) {
    this.#options = options;
  }

  /** A marketing change committed. */
  wake(): void {
    if (this.#paused || this.#stopped) return;
    this.#dueAt ??= Date.now() + this.#options.delayMs;
    this.#looksLeft = emptyLooks;
    if (this.#running === undefined) this.#schedule();
  }

  /** Starts hearing wake-ups (the sync is enabled). */
  resume(): void {
    if (!this.#stopped) this.#paused = false;
  }

  /** Stops hearing wake-ups, drops what is scheduled and aborts a running push (B8.1). */
  pause(): void {
    this.#paused = true;
    this.#cancel();
  }

  /** Undoes `stop` (the engine starts again): wake-ups are heard again after the next `resume`. */
  reopen(): void {
    this.#stopped = false;
  }

  /** Pauses until `reopen` and waits for a running push to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.pause();
    await this.#running;
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dueAt = undefined;
    this.#looksLeft = 0;
    this.#abort?.abort();
  }

  #schedule(): void {
    if (this.#dueAt === undefined || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, this.#dueAt - Date.now()));
    // A scheduled push must not keep a stopping process alive; stop() cancels it anyway.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#dueAt = undefined;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#options
      .push(abort.signal)
      .then(
        (found) => {
          if (found > 0 || this.#dueAt !== undefined || this.#looksLeft === 0 || this.#paused) return;
          this.#looksLeft -= 1;
          this.#dueAt = Date.now() + this.#options.delayMs;
        },
        (error: unknown) => {
          this.#options.logger.warn(
            { err: error instanceof Error ? { message: error.message, name: error.name } : error },
            'immediate push failed; the next pass pushes what is left',
          );
        },
      )
      .finally(() => {
        this.#running = undefined;
        this.#abort = undefined;
        if (!this.#paused) this.#schedule();
      });
  }
}
