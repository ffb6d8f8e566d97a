import type { EngineDeps } from '../engine-deps.ts';
import type { NotificationRecord, RunLogStore } from '../../store/run-log-store.ts';

/**
 * The one way the engine tells the admin something (B6.6): the notification is stored (shown in the UI and the
 * API), logged, and — when `SYNCLINE_NOTIFY_URL` is set — queued for its POST in the same write, so it is sent
 * even if this process stops right after (src/notifications/ delivers it). `store` is the transaction to write
 * in, when there is one.
 */
export async function addNotification(
  deps: Pick<EngineDeps, 'logger' | 'notificationsOut'>,
  store: Pick<RunLogStore, 'addNotification'>,
  notification: { type: string; message: string; details?: Record<string, unknown> },
): Promise<NotificationRecord> {
  const record = await store.addNotification({ ...notification, deliver: deps.notificationsOut === true });
  deps.logger.info(
    { notification: { id: record.id, type: record.type, details: record.details } },
    `notification: ${record.message}`,
  );
  return record;
}
