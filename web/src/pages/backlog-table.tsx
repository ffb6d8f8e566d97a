import type { SyncEntityStatusView } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Instant } from '../components/instant.tsx';
import { formatCount, formatDuration } from '../format.ts';
import { describeCrmPending, formatCrmPending } from '../crm-counts.ts';

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
  const countedAt = rows
    .map(([, status]) => status.fromCrm.countedAt)
    .filter((at): at is string => at !== null)
    .sort()[0];
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
            <td className="number" title={describeCrmPending(status.fromCrm)}>
              <span className={status.fromCrm.pending === null ? 'muted' : undefined}>
                {formatCrmPending(status.fromCrm)}
              </span>
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
      <p className="muted small" data-testid="pending-explained">
        <strong>Pending from CRM</strong> is counted by the CRM: for tables with change tracking, the changes
        (creates, updates, deletes) since the last pass; without it, the rows modified after the newest one
        read (deletes not seen; Dataverse stops at 5,000, shown as “5,000+”); during the initial load, the
        rows it has still to read. Counted{' '}
        {countedAt === undefined ? 'when the CRM answers' : <Instant at={countedAt} />}, again at most every
        30 s and after every pass. <strong>ETA to CRM</strong>: the push backlog at the last hour’s push rate.
      </p>
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
