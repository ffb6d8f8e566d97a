import type { NotifyConfig } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';
import type {
  DeliveryAttemptOutcome,
  NotificationClaim,
  NotificationDeliveryStore,
} from '../store/notification-delivery-store.ts';
import { sendNotification, type SendResult } from './notification-sender.ts';

/** Exponential back-off between attempts of one notification: `baseMs`, doubled each time, at most `maxMs`. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Attempts in all; after the last failed one the delivery is `failed`. */
  readonly maxAttempts: number;
}

export interface NotifierOptions {
  /** How often the queue is looked at while nothing is due. */
  readonly pollMs: number;
  /** How long a claim keeps other processes off a notification; well above `timeoutMs`. */
  readonly leaseMs: number;
  /** How long one POST may take. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

/** 1 s, 2 s, 4 s … 5 min: twelve attempts span about 18 minutes, enough to ride out a receiver's restart. */
export const defaultNotifierOptions: NotifierOptions = {
  pollMs: 2000,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  retry: { baseMs: 1000, maxMs: 5 * 60_000, maxAttempts: 12 },
};

/** The wait after failed attempt number `attempt` (1-based), stretched to the receiver's `Retry-After`. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(policy.baseMs * 2 ** Math.min(attempt - 1, 30), policy.maxMs);
  return Math.min(Math.max(backoff, retryAfterMs ?? 0), policy.maxMs);
}

/**
 * Notifications out (B6.6): POSTs every notification written with a delivery to `SYNCLINE_NOTIFY_URL`, from the
 * durable queue in the store, one at a time in the order they fell due. It runs beside the sync, never inside
 * it: a pass only writes the notification, so a slow, failing or unreachable receiver can neither block nor fail
 * a pass. Each attempt is recorded with the notification (the UI and the API show it) and logged; a failed one
 * is retried with exponential back-off until `maxAttempts`. Any number of processes may run one: each
 * notification is claimed by one of them at a time (NotificationDeliveryStore). Logs name the receiver's host
 * only, never its URL or the secret.
 */
export class Notifier {
  readonly #store: NotificationDeliveryStore;
  readonly #notify: NotifyConfig;
  readonly #logger: Logger;
  readonly #options: NotifierOptions;
  readonly #receiver: string;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    store: NotificationDeliveryStore,
    notify: NotifyConfig,
    logger: Logger,
    options: NotifierOptions = defaultNotifierOptions,
  ) {
    this.#store = store;
    this.#notify = notify;
    this.#logger = logger;
    this.#options = options;
    this.#receiver = new URL(notify.url).host;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Look at the queue now instead of at the next poll. */
  wake(): void {
    this.#wake?.();
  }

  /** Stops after the POST in flight (aborted; recorded as an interrupted attempt, retried later). */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** Sends every notification that is due now; returns how many attempts it made. */
  async deliverDue(): Promise<number> {
    let attempts = 0;
    while (!this.#abort.signal.aborted) {
      const [claim] = await this.#store.claimDueNotifications({ limit: 1, leaseMs: this.#options.leaseMs });
      if (claim === undefined) break;
      await this.#attempt(claim);
      attempts += 1;
    }
    return attempts;
  }

  async #run(): Promise<void> {
    this.#logger.info(
      { receiver: this.#receiver, format: this.#notify.format },
      'notifications are POSTed out',
    );
    while (!this.#abort.signal.aborted) {
      try {
        await this.deliverDue();
      } catch (error) {
        // The store is unreachable: the queue waits in the database, so the next poll resumes it.
        this.#logger.warn({ err: error }, 'notification delivery paused: the queue could not be read');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #attempt(claim: NotificationClaim): Promise<void> {
    const { notification } = claim;
    const result = await sendNotification(this.#notify, notification, {
      timeoutMs: this.#options.timeoutMs,
      signal: this.#abort.signal,
    });
    const attempt = (notification.delivery?.attempts ?? 0) + 1;
    const outcome = this.#outcomeOf(result, attempt);
    const recorded = await this.#store.recordDeliveryAttempt(claim, outcome);
    const about = {
      notification: { id: notification.id, type: notification.type },
      attempt,
      receiver: this.#receiver,
    };
    if (!recorded) {
      this.#logger.warn(about, 'notification delivery outlived its claim; another process has taken it over');
    } else if (outcome.status === 'delivered') {
      this.#logger.info(about, 'notification delivered');
    } else if (outcome.status === 'retry') {
      this.#logger.warn(
        { ...about, error: outcome.error, nextAttemptAt: outcome.nextAttemptAt },
        'notification delivery failed; it will be retried',
      );
    } else {
      this.#logger.error({ ...about, error: outcome.error }, 'notification delivery failed for good');
    }
  }

  #outcomeOf(result: SendResult, attempt: number): DeliveryAttemptOutcome {
    if (result.outcome === 'delivered') return { status: 'delivered' };
    if (result.outcome === 'refused') return { status: 'failed', error: result.error };
    const { retry } = this.#options;
    if (attempt >= retry.maxAttempts) {
      return { status: 'failed', error: `${result.error} (gave up after ${attempt} attempts)` };
    }
    const delay = retryDelayMs(retry, attempt, result.retryAfterMs);
    return {
      status: 'retry',
      error: result.error,
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
    };
  }
}
