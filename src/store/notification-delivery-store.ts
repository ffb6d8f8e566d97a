import type { NotificationRecord } from './run-log-store.ts';

/**
 * The durable queue of notifications to POST to `SYNCLINE_NOTIFY_URL` (B6.6), for the notifier
 * (src/notifications/). The queue is the notification table itself: a notification written with `deliver` is
 * pending and due at once. Any number of processes may poll it: a claim is taken atomically (one winner per
 * notification) and lasts `leaseMs`, after which another process may take it over — so a notification is sent
 * by one process at a time, and one whose sender died is sent again (at least once, never lost). Part of
 * `Store` (store.ts); both backends pass tests/contract/register-notification-delivery-tests.ts.
 */

/** A notification this process may send until the lease runs out; `token` proves the claim. */
export interface NotificationClaim {
  readonly notification: NotificationRecord;
  readonly token: string;
}

/** What one POST came to. `retry`: still pending, next attempt at `nextAttemptAt`. */
export type DeliveryAttemptOutcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'retry'; readonly error: string; readonly nextAttemptAt: string }
  | { readonly status: 'failed'; readonly error: string };

export interface NotificationDeliveryStore {
  /**
   * Claims up to `limit` pending notifications whose next attempt is due and that no other live claim holds,
   * the longest due first, each for `leaseMs`.
   */
  claimDueNotifications(options: { limit: number; leaseMs: number }): Promise<NotificationClaim[]>;
  /**
   * Records one attempt (counted in `attempts`) and releases the claim. False, with nothing written, when the
   * claim was lost (its lease ran out and another process took the notification over).
   */
  recordDeliveryAttempt(claim: NotificationClaim, outcome: DeliveryAttemptOutcome): Promise<boolean>;
}
