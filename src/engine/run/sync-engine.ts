import type { PullProgress } from '../pull/crm-puller.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import { runPass, type PassEstimate, type PassOutcome } from './pass-runner.ts';
import { chooseEngineWritePaths } from '../push/write-paths.ts';
import type { PassRecord } from '../../store/run-log-store.ts';
import { pushCommittedChanges } from './immediate-push.ts';
import { PushGate } from './push-gate.ts';
import { PushScheduler } from './push-scheduler.ts';

export const enabledSetting = 'sync:enabled';
/**
 * B8.2 across a cluster (B2.9): "run a pass now" asked through any replica's API is stored here (an ISO time);
 * the replica that runs the passes looks for a new one while it waits between passes.
 */
export const passRequestSetting = 'sync:pass-requested';
/** How often a running engine reads the enabled flag and pass requests stored through other replicas. */
const settingsPollMs = 2_000;

export type EngineState = 'idle' | 'running' | 'disabled' | 'failed';

/**
 * The sync loop (B2.1): run a pass, wait the interval **after it ends**, run again; passes never overlap.
 * Disabling stops the running pass at the next page boundary (B8.1) and no new pass starts until enabled;
 * changes of both sides accumulate meanwhile. "Run a pass now" (B8.2) wakes the loop without changing the
 * schedule that follows.
 *
 * Beside the loop, the immediate pusher (B2.8): a committed marketing change (`onMarketingCommit`) wakes it, and
 * within `pushDelayMs` it collects and pushes what is pending (immediate-push.ts, push-scheduler.ts) — taking
 * turns with the passes' own collect-and-push (`PushGate`), paused while the sync is disabled.
 */
export class SyncEngine {
  readonly #deps: EngineDeps;
  readonly #settings: EngineSettings;
  #enabled = true;
  #running: Promise<PassOutcome> | undefined;
  #passAbort: AbortController | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #runRequested = false;
  #lastOutcome: PassOutcome | undefined;
  #nextPassAt: Date | undefined;
  #progress: PullProgress | undefined;
  #estimate: PassEstimate | undefined;
  #writePaths: Promise<void> | undefined;
  readonly #pushGate = new PushGate();
  readonly #pusher: PushScheduler | undefined;
  #stopListening: (() => void) | undefined;
  /** The last `passRequestSetting` value this engine acted on (undefined: not read yet). */
  #seenPassRequest: string | undefined;
  #watcher: NodeJS.Timeout | undefined;
  #watching = false;
  /** Closing the passes a stopped engine left running: once per start, before its first pass. */
  #staleClosed: Promise<void> | undefined;

  constructor(deps: EngineDeps, settings: EngineSettings) {
    this.#deps = deps;
    this.#settings = settings;
    if (settings.pushDelayMs > 0) {
      this.#pusher = new PushScheduler({
        delayMs: settings.pushDelayMs,
        push: (signal) => this.#pushGate.run(() => pushCommittedChanges(this.#deps, this.#settings, signal)),
        logger: deps.logger,
      });
    }
  }

  /**
   * Starts the loop; the enabled flag is read from the store (enabled unless an admin disabled it). May be
   * called again after `stop` (a replica that lost its lease and took it again, B2.9).
   */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#staleClosed = undefined;
    this.#pusher?.reopen();
    // B4.5 at first connect, before the loop: the probe's scratch writes happen here, never inside a pass.
    // A failed probe is tried again at the next start.
    await (this.#writePaths ??= chooseEngineWritePaths(this.#deps).catch((error: unknown) => {
      this.#writePaths = undefined;
      throw error;
    }));
    this.#enabled = (await this.#deps.store.getSetting(enabledSetting)) !== 'false';
    // Requests made before this start are served by its first pass; only later ones count (B8.2).
    this.#seenPassRequest = (await this.#deps.store.getSetting(passRequestSetting)) ?? '';
    if (this.#pusher !== undefined) {
      if (this.#enabled) this.#pusher.resume();
      const pusher = this.#pusher;
      this.#stopListening = this.#deps.store.onMarketingCommit(() => pusher.wake());
    }
    this.#loop = this.#runLoop();
    this.#watcher = setInterval(() => void this.#watchSettings(), settingsPollMs);
    this.#watcher.unref();
  }

  /** Stops at a safe boundary (B2.4) and waits for the running pass and immediate push to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#watcher);
    this.#stopListening?.();
    this.#passAbort?.abort();
    this.#wake?.();
    await Promise.all([this.#loop, this.#pusher?.stop()]);
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  get state(): EngineState {
    if (!this.#enabled) return 'disabled';
    if (this.#running) return 'running';
    return this.#lastOutcome?.status === 'failed' ? 'failed' : 'idle';
  }

  get nextPassAt(): Date | undefined {
    return this.#enabled ? this.#nextPassAt : undefined;
  }

  /** Receives CRM-side progress of every pass (`sync --once`'s bars). */
  set onProgress(listener: PullProgress | undefined) {
    this.#progress = listener;
  }

  /** Receives, before each pass reads the CRM, what it expects to read per entity (`sync --once`'s totals). */
  set onEstimate(listener: PassEstimate | undefined) {
    this.#estimate = listener;
  }

  /**
   * B8.1. `persisted`: the caller stored the flag already (the admin facade stores it through its own store, as
   * a replica that does not hold the sync's lease may not commit through the engine's fenced one).
   */
  async setEnabled(enabled: boolean, options: { persisted?: boolean } = {}): Promise<void> {
    if (options.persisted !== true) await this.#deps.store.setSetting(enabledSetting, String(enabled));
    this.#applyEnabled(enabled);
    this.#wake?.();
  }

  #applyEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    if (!enabled) this.#passAbort?.abort();
    // B8.1: disabled stops the immediate pusher too; on enable the pass this wakes pushes what accumulated.
    if (enabled && this.#loop !== undefined) this.#pusher?.resume();
    if (!enabled) this.#pusher?.pause();
  }

  /**
   * B8.2: runs a pass as soon as the current one (if any) ends; the interval restarts after it. `stored`: the
   * request's value in `passRequestSetting`, so the engine does not take its own request for another replica's.
   */
  requestPass(stored?: string): void {
    if (stored !== undefined) this.#seenPassRequest = stored;
    this.#runRequested = true;
    this.#wake?.();
  }

  /** Runs one pass now (after a running one ends) and returns its outcome (`sync --once`, tests). */
  async runOnce(trigger = 'manual'): Promise<PassOutcome> {
    return this.#runPass(trigger);
  }

  async #runLoop(): Promise<void> {
    while (!this.#stopped) {
      // B8.1 across a cluster (B2.9): the flag may have been switched through another replica's API.
      const enabled = await this.#deps.store.getSetting(enabledSetting).then(
        (value) => value !== 'false',
        () => this.#enabled,
      );
      if (enabled !== this.#enabled) this.#applyEnabled(enabled);
      if (this.#stopped) break;
      if (this.#enabled) {
        const trigger = this.#runRequested ? 'manual' : 'schedule';
        this.#runRequested = false;
        await this.#runPass(trigger).catch((error: unknown) =>
          this.#deps.logger.error({ err: error }, 'pass crashed'),
        );
      }
      if (this.#stopped) break;
      if (this.#runRequested && this.#enabled) continue;
      this.#nextPassAt = new Date(this.#deps.now().getTime() + this.#settings.intervalSeconds * 1000);
      await this.#sleep(this.#settings.intervalSeconds * 1000);
    }
  }

  async #runPass(trigger: string): Promise<PassOutcome> {
    // B4.5: before the first write of this process (`sync --once` never calls start), learn which update path
    // the organisation allows.
    await (this.#writePaths ??= chooseEngineWritePaths(this.#deps));
    // Before this engine's first pass (every caller waits for the same promise, so none starts one meanwhile).
    await (this.#staleClosed ??= this.#closeStalePasses());
    // Passes never overlap (B2.1): wait for a running one. No await between the check and the assignment below.
    while (this.#running) await this.#running.catch(() => undefined);
    const abort = new AbortController();
    this.#passAbort = abort;
    const running = runPass(this.#deps, this.#settings, {
      trigger,
      signal: abort.signal,
      onProgress: this.#progress,
      onEstimate: this.#estimate,
      pushGate: this.#pushGate,
    });
    this.#running = running;
    try {
      const outcome = await running;
      this.#lastOutcome = outcome;
      return outcome;
    } finally {
      this.#running = undefined;
      this.#passAbort = undefined;
    }
  }

  async #closeStalePasses(): Promise<void> {
    // Only the engine holding the database (B2.9) runs passes: one still `running` now was cut short by a crash,
    // a kill or a lost lease, and would show as running forever.
    // Only cosmetic for the history: a failure (the database away, the lease lost) must not stop the passes.
    const aborted = await this.#deps.store
      .abortRunningPasses(
        'The engine running this pass stopped before it finished (killed, crashed, or its lease was taken over); the next pass carries on from the last committed page.',
      )
      .catch((error: unknown) => {
        this.#deps.logger.warn({ err: error }, 'could not close passes left running by a stopped engine');
        return 0;
      });
    if (aborted > 0) this.#deps.logger.warn({ aborted }, 'closed passes left running by a stopped engine');
  }

  /** Sleeps until the interval passes or something wakes the loop (stop, enable, run-now). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /**
   * B8.1 and B8.2 across a cluster (B2.9): the admin routes of any replica store the enabled flag and pass
   * requests; the replica running the passes reads both every 2 s, so a switch or a "run now" through another
   * replica takes effect within seconds, as through its own. Reads only; a failed read waits for the next.
   */
  async #watchSettings(): Promise<void> {
    if (this.#watching) return;
    this.#watching = true;
    try {
      const [enabled, requested] = await Promise.all([
        this.#deps.store.getSetting(enabledSetting),
        this.#deps.store.getSetting(passRequestSetting),
      ]);
      if (this.#stopped) return;
      const isEnabled = enabled !== 'false';
      if (isEnabled !== this.#enabled) {
        this.#applyEnabled(isEnabled);
        this.#wake?.();
      }
      const value = requested ?? '';
      if (this.#seenPassRequest !== undefined && value !== this.#seenPassRequest) this.requestPass(value);
      this.#seenPassRequest = value;
    } catch {
      // The database is away or the lease was lost: the loop's own reads report it.
    } finally {
      this.#watching = false;
    }
  }

  /** The outcome of the last pass this process ran. */
  get lastOutcome(): { pass: PassRecord; status: string; error: string | null } | undefined {
    return this.#lastOutcome;
  }
}
