import type { SyncEntityStatusView } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Instant } from '../components/instant.tsx';
import { formatCount, formatDuration } from '../format.ts';

const columns = [
  { label: 'Entity' },
  { label: 'Pending to CRM', number: true },
  { label: 'Oldest pending' },
  { label: 'Pending from CRM', number: true },
  { label: 'Synced last hour', number: true },
  { label: 'Synced last 24 h', number: true },
  { label: 'Trend' },
  { label: 'ETA' },
];

/** B6.5: per entity, what waits to be written to each side, how fast it drains and whether it grows. */
export function BacklogTable({ entities }: { entities: Readonly<Record<string, SyncEntityStatusView>> }) {
  const rows = Object.entries(entities);
  if (rows.length === 0) return <p className="muted">No entity is synced yet.</p>;
  const writePaths = rows.filter(([, status]) => status.writePath !== undefined);
  return (
    <>
      <DataTable label="Backlog per entity" columns={columns}>
        {rows.map(([entity, status]) => (
          <tr key={entity} data-entity={entity}>
            <th scope="row">{entity}</th>
            <td className="number">{formatCount(status.toCrm.pending)}</td>
            <td>
              <Instant at={status.toCrm.oldestPendingAt} />
            </td>
            <td className="number">
              {status.fromCrm.pending === null ? (
                <span className="muted" title="The CRM's change tracking does not count pending changes.">
                  n/a
                </span>
              ) : (
                formatCount(status.fromCrm.pending)
              )}
            </td>
            <td className="number">{formatCount(status.syncedLastHour)}</td>
            <td className="number">{formatCount(status.syncedLast24h)}</td>
            <td>
              {status.growing ? (
                <Badge tone="warn" title="Pending work grew between the last two samples.">
                  ▲ growing
                </Badge>
              ) : (
                <span className="muted">steady</span>
              )}
            </td>
            <td>
              {status.etaSeconds === null ? (
                <span className="muted">—</span>
              ) : (
                formatDuration(status.etaSeconds)
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {writePaths.length === 0 ? null : (
        <p className="muted" data-testid="write-paths">
          Updates reach the CRM through{' '}
          {writePaths.map(([entity, status], index) => (
            <span
              key={entity}
              title={
                status.writePath === 'bulk'
                  ? 'UpdateMultiple: a probe proved this organisation refuses stale ETags (B4.5).'
                  : '$batch with If-Match on each record: the documented path (B4.5).'
              }
            >
              {index > 0 ? ', ' : ''}
              {entity}: {status.writePath === 'bulk' ? 'UpdateMultiple' : '$batch with If-Match'}
            </span>
          ))}
          .
        </p>
      )}
    </>
  );
}
