import { Link } from 'wouter';
import type { SyncConflictView } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { Clipped } from '../components/clipped.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Instant } from '../components/instant.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { PagedView } from '../components/paged-view.tsx';
import { formatValue } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { personPath } from '../routes.ts';

/** B4.3: both sides changed a field; the winner was written, the loser is kept here. */
export function ConflictsPage() {
  const list = usePagedList<SyncConflictView>('/api/v1/sync/conflicts?limit=50');
  return (
    <>
      <PageTitle title="Conflicts" />
      <p className="muted">
        A conflict is a field both sides changed since the last sync. The winning value was written to both
        sides; the losing one is kept here.
      </p>
      <PagedView list={list} what="the conflicts" empty="No conflicts.">
        {(items) => <ConflictTable items={items} />}
      </PagedView>
    </>
  );
}

export function ConflictTable({
  items,
  showPerson = true,
}: {
  items: readonly SyncConflictView[];
  showPerson?: boolean;
}) {
  const columns = [
    { label: 'When' },
    ...(showPerson ? [{ label: 'Person' }] : []),
    { label: 'Field' },
    { label: 'Marketing value' },
    { label: 'CRM value' },
    { label: 'Winner' },
    { label: 'Before' },
  ];
  return (
    <DataTable label="Conflicts" columns={columns}>
      {items.map((conflict) => (
        <tr key={conflict.id}>
          <td>
            <Instant at={conflict.at} />
          </td>
          {showPerson ? (
            <td>
              <Link
                href={personPath(conflict.personId)}
                aria-label={`Open the person of ${conflict.entity} ${conflict.crmId}`}
              >
                person
              </Link>{' '}
              <span className="muted small">({conflict.entity})</span>
            </td>
          ) : null}
          <td className="mono">{conflict.field}</td>
          <td className={conflict.winner === 'marketing' ? 'cell-text winner' : 'cell-text'}>
            <Clipped text={formatValue(conflict.marketingValue)} />
          </td>
          <td className={conflict.winner === 'crm' ? 'cell-text winner' : 'cell-text'}>
            <Clipped text={formatValue(conflict.crmValue)} />
          </td>
          <td>
            <Badge tone="info">{conflict.winner === 'crm' ? 'CRM' : 'marketing'}</Badge>
          </td>
          <td className="cell-text muted">
            <Clipped text={formatValue(conflict.baseValue)} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
