import type { Activity } from '../api/types.ts';
import { Instant } from '../components/instant.tsx';
import { PagedView } from '../components/paged-view.tsx';
import { formatValue } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';

/** B6.4's activity types in words; an unknown type shows as itself. */
const titles: Readonly<Record<string, string>> = {
  'crm.created-person': 'Created from a CRM record',
  'crm.pushed': 'Created in the CRM',
  'data-value-changed': 'Value changed',
  'crm.sync-failed': 'Sync to the CRM failed',
  'crm.conflict': 'Conflict',
  'crm.converted': 'Lead converted',
  'crm.merged': 'Merged in the CRM',
  'crm.deleted': 'Deleted in the CRM',
  'crm.owner-changed': 'Owner changed',
};

const tone = (type: string) =>
  type === 'crm.sync-failed' || type === 'crm.deleted' ? 'bad' : type === 'crm.conflict' ? 'warn' : 'info';

/** The person's activity log, newest first, as a timeline. */
export function ActivityTimeline({ personId }: { personId: string }) {
  const list = usePagedList<Activity>(`/api/v1/persons/${encodeURIComponent(personId)}/activities?limit=50`);
  return (
    <PagedView list={list} what="the activity log" empty="No activity yet.">
      {(items) => (
        <ol className="timeline" aria-label="Activity log, newest first">
          {items.map((activity) => (
            <li
              key={activity.id}
              className={`timeline-item timeline-${tone(activity.type)}`}
              data-type={activity.type}
            >
              <div className="timeline-head">
                <strong>{titles[activity.type] ?? activity.type}</strong>
                <span className="muted mono small">{activity.type}</span>
                <Instant at={activity.at} />
              </div>
              <ActivityDetails activity={activity} />
            </li>
          ))}
        </ol>
      )}
    </PagedView>
  );
}

function ActivityDetails({ activity }: { activity: Activity }) {
  const { attributes } = activity;
  if (activity.type === 'data-value-changed') {
    return (
      <p className="wrap">
        <span className="mono">{formatValue(attributes.field)}</span>: {formatValue(attributes.oldValue)} →{' '}
        <strong>{formatValue(attributes.newValue)}</strong>
        {attributes.source === undefined ? null : (
          <span className="muted"> ({formatValue(attributes.source)})</span>
        )}
      </p>
    );
  }
  const entries = Object.entries(attributes);
  if (entries.length === 0) return null;
  return (
    <dl className="kv kv-inline">
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd className="wrap">{formatValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
