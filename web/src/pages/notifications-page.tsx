import type { SyncNotificationView } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { Instant } from '../components/instant.tsx';
import { NotificationDelivery } from '../components/notification-delivery.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { PagedView } from '../components/paged-view.tsx';
import { usePagedList } from '../hooks/use-paged-list.ts';

const bad = new Set(['pass-failed', 'field-quarantined', 'new-failing-records']);

/**
 * B6.6: initial load done, backfill done, pass failed, field quarantined, new failing records — each with its POST
 * to the notification URL, when one is set.
 */
export function NotificationsPage() {
  const list = usePagedList<SyncNotificationView>('/api/v1/notifications?limit=50');
  return (
    <>
      <PageTitle title="Notifications" />
      <PagedView list={list} what="notifications" empty="No notifications yet.">
        {(items) => (
          <ol className="notification-list" aria-label="Notifications, newest first">
            {items.map((notification) => (
              <li key={notification.id} className="card notification">
                <div className="timeline-head">
                  <Badge tone={bad.has(notification.type) ? 'bad' : 'good'}>{notification.type}</Badge>
                  <Instant at={notification.at} />
                </div>
                <p className="wrap">{notification.message}</p>
                <NotificationDelivery delivery={notification.delivery} />
                {Object.keys(notification.details).length === 0 ? null : (
                  <details>
                    <summary>Details</summary>
                    <pre className="details-json">{JSON.stringify(notification.details, null, 2)}</pre>
                  </details>
                )}
              </li>
            ))}
          </ol>
        )}
      </PagedView>
    </>
  );
}
