import { formatInstant, formatRelative } from '../format.ts';

/** A point in time: relative ("3 minutes ago"), with the exact instant as a tooltip; "—" when absent. */
export function Instant({ at, absolute = false }: { at: string | null | undefined; absolute?: boolean }) {
  if (at === null || at === undefined) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={formatInstant(at)}>
      {absolute ? formatInstant(at) : formatRelative(at)}
    </time>
  );
}
