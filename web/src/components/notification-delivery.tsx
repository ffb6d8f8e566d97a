import type { SyncNotificationView } from '../api/types.ts';
import { deliveryView } from '../notification-delivery.ts';
import { Badge } from './badge.tsx';
import { Instant } from './instant.tsx';

/**
 * A notification's POST to the notification URL (B6.6): sending, retrying (the last error, the next attempt),
 * sent, or not sent. `compact` (the dashboard) shows the word only, with the detail as its tooltip.
 */
export function NotificationDelivery({
  delivery,
  compact = false,
}: {
  delivery: SyncNotificationView['delivery'];
  compact?: boolean;
}) {
  const view = deliveryView(delivery);
  if (view === null) {
    return compact ? null : (
      <p className="muted small">Not sent out: no notification URL was set when it was written.</p>
    );
  }
  if (compact) {
    return (
      <Badge tone={view.tone} title={view.detail === '' ? undefined : view.detail}>
        {view.word}
      </Badge>
    );
  }
  return (
    <p className="small wrap" aria-label="Delivery">
      <Badge tone={view.tone}>{view.word}</Badge>{' '}
      {view.deliveredAt === null ? null : <Instant at={view.deliveredAt} />} {view.detail}
      {view.nextAttemptAt === null ? null : (
        <>
          ; next attempt <Instant at={view.nextAttemptAt} />
        </>
      )}
    </p>
  );
}
