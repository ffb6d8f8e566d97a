import { Type } from 'typebox';
import { pageOf } from './pagination.ts';

/** Its POST to `SYNCLINE_NOTIFY_URL` (B6.6, interfaces.md §2). */
export const SyncNotificationDelivery = Type.Object(
  {
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')], {
      description:
        'pending: being sent or waiting for its next attempt; delivered: the receiver answered 2xx; failed: given up (the receiver refused it, or every attempt failed)',
    }),
    attempts: Type.Integer({ minimum: 0, description: 'POSTs made so far' }),
    nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'while pending: when the next attempt is due',
    }),
    lastError: Type.Union([Type.String(), Type.Null()], {
      description:
        'what the last failed attempt got (an HTTP status, a network error); never a URL or a secret',
    }),
    deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'NotificationDelivery' },
);

/** A notification (B6.6): initial-load-done, backfill-done, pass-failed, field-quarantined, new-failing-records. */
export const SyncNotification = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
    at: Type.String({ format: 'date-time' }),
    readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    delivery: Type.Union([SyncNotificationDelivery, Type.Null()], {
      description: 'null: no SYNCLINE_NOTIFY_URL was configured when it was written, so it is not sent',
    }),
  },
  { title: 'Notification' },
);

/** Newest first. */
export const SyncNotificationList = pageOf(SyncNotification);
