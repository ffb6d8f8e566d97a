import { Type } from 'typebox';
import { pageOf } from './pagination.ts';

/** A notification (B6.6): initial-load-done, backfill-done, pass-failed, field-quarantined, new-failing-records. */
export const SyncNotification = Type.Object(
  {
    id: Type.String(),
    type: Type.String(),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
    at: Type.String({ format: 'date-time' }),
    readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'Notification' },
);

/** Newest first. */
export const SyncNotificationList = pageOf(SyncNotification);
