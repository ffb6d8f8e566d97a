import type { SyncStatus } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { DataTable } from '../components/data-table.tsx';
import { formatCount } from '../format.ts';
import { formatLatency, latencyTargets, withinTargets, type LatencyView } from '../latency.ts';

const columns = [
  { label: 'Direction' },
  { label: 'Changes', number: true },
  { label: 'p50', number: true },
  { label: 'p95', number: true },
  { label: 'p99', number: true },
  { label: 'Targets' },
];

const directions: readonly { key: keyof SyncStatus['latency']; label: string; from: string }[] = [
  {
    key: 'fromCrm',
    label: 'From the CRM',
    from: "the CRM's modifiedon (to the second) → the person's commit",
  },
  { key: 'toCrm', label: 'To the CRM', from: 'the marketing commit → the CRM accepting the write' },
];

/** B2.8: how long changes took to reach the other side in the last hour, per direction. */
export function LatencyPanel({ latency }: { latency: SyncStatus['latency'] }) {
  return (
    <>
      <DataTable label="Latency per direction, last hour" columns={columns}>
        {directions.map(({ key, label, from }) => (
          <LatencyRow key={key} label={label} title={from} latency={latency[key]} />
        ))}
      </DataTable>
      <p className="muted small">
        Percentiles of the changes carried in the last hour, whichever path carried them (a pass, an immediate
        push, a webhook); targets p95 ≤ {formatLatency(latencyTargets.p95Ms)}, p99 ≤{' '}
        {formatLatency(latencyTargets.p99Ms)}. Kept by the running engine: a restart starts them afresh.
      </p>
    </>
  );
}

function LatencyRow({ label, title, latency }: { label: string; title: string; latency: LatencyView }) {
  const met = withinTargets(latency);
  return (
    <tr data-direction={label}>
      <th scope="row" title={title}>
        {label}
      </th>
      <td className="number">{formatCount(latency.count)}</td>
      <td className="number">{formatLatency(latency.p50Ms)}</td>
      <td className="number">{formatLatency(latency.p95Ms)}</td>
      <td className="number">{formatLatency(latency.p99Ms)}</td>
      <td>
        {met === null ? (
          <span className="muted">no changes</span>
        ) : met ? (
          <Badge tone="good">within</Badge>
        ) : (
          <Badge tone="warn">above</Badge>
        )}
      </td>
    </tr>
  );
}
