import type { SyncEntityStatusView } from './api/types.ts';

export type CrmBacklogView = SyncEntityStatusView['fromCrm'];

/** The pending-from-CRM figure as a cell reads it: "1,204", "5,000+", or "—" when not counted. */
export function formatCrmPending(backlog: CrmBacklogView): string {
  if (backlog.pending === null) return '—';
  return `${backlog.pending.toLocaleString()}${backlog.atLeast ? '+' : ''}`;
}

/** What the figure counts, in a sentence (the cell's tooltip): the status's `basis`, spelled out (B6.5). */
export function describeCrmPending(backlog: CrmBacklogView): string {
  switch (backlog.basis) {
    case 'delta-token':
      return 'Changes in the CRM (creates, updates, deletes) since the last pass read this table, counted by Dataverse from the stored change-tracking token.';
    case 'modifiedon':
      return `Rows modified in the CRM after the newest one Syncline read (this table has no change tracking, so deletes are not counted${backlog.atLeast ? '; Dataverse stops counting at 5,000' : ''}).`;
    case 'initial-load':
      return "Rows the initial load has still to read: the CRM's record-count snapshot less the rows read so far.";
    default:
      return 'Not counted: the table has not been read yet, or the CRM did not answer the count.';
  }
}

/**
 * The initial-load bar's caption: where the total comes from and how far to trust it (B2.6). Dataverse's
 * `RetrieveTotalRecordCount` answers from a snapshot taken within the last 24 hours, so rows created since are
 * read but not counted.
 */
export function describeInitialLoadTotal(load: {
  readonly total: number | null;
  readonly processed: number;
}): string {
  if (load.total === null)
    return 'The CRM did not tell how many records it holds, so the bar counts rows read without a total.';
  const beyond =
    load.processed > load.total
      ? ` ${(load.processed - load.total).toLocaleString()} more rows were read than the snapshot counted (created since it was taken).`
      : '';
  return `Total: the CRM's record count per table (RetrieveTotalRecordCount), a snapshot Dataverse takes within the last 24 hours — not live, so the load may read more.${beyond} Progress is kept in the database: a restart continues the bar.`;
}
