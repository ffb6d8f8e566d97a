import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { withQuery } from '../api/api-client.ts';
import type { SyncErrorView, SyncStatus } from '../api/types.ts';
import { useSession } from '../auth/session.ts';
import { Badge } from '../components/badge.tsx';
import { Clipped } from '../components/clipped.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Instant } from '../components/instant.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { PagedView } from '../components/paged-view.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import { useAction } from '../hooks/use-action.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { useResource } from '../hooks/use-resource.ts';
import { personPath } from '../routes.ts';
import { FormField } from '../components/form-field.tsx';

const columns = [
  { label: 'Last seen' },
  { label: 'Entity' },
  { label: 'Record' },
  { label: 'Direction' },
  { label: 'Code' },
  { label: 'Message' },
  { label: 'Count', number: true },
  { label: 'Status' },
  { label: 'Actions', hidden: true },
];

/** Hands a fetched file to the browser as a download (a plain link could not send the API key). */
function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** B6.1: record-level failures, once per distinct error; filter, search, export (formula-safe CSV), retry. */
export function ErrorsPage() {
  const { api } = useSession();
  const status = useResource<SyncStatus>('/api/v1/sync/status');
  const [entity, setEntity] = useState('');
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState({ entity: '', q: '' });
  const list = usePagedList<SyncErrorView>(withQuery('/api/v1/sync/errors', { ...query, limit: 50 }));
  const { busy, message, run } = useAction();

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setQuery({ entity, q: search.trim() });
    list.reload();
  };

  const exportCsv = () =>
    run(
      'export',
      async () => {
        const csv = await api.download(
          withQuery('/api/v1/sync/errors', { ...query, format: 'csv' }),
          'text/csv',
        );
        saveFile(csv, `syncline-errors-${new Date().toISOString().slice(0, 10)}.csv`);
        return 'The CSV export was downloaded.';
      },
      'Export failed: ',
    );

  const retry = (error: SyncErrorView) =>
    run(
      error.id,
      async () => {
        const after = await api.post<SyncErrorView>(
          `/api/v1/sync/errors/${encodeURIComponent(error.id)}/retry`,
        );
        list.reload();
        const record = `${error.entity} ${error.crmId ?? ''}`;
        if (after.status === 'resolved') return `Retried ${record}: it went through.`;
        throw new Error(`Retried ${record}: still failing (${after.message}).`);
      },
      'Retry: ',
    );

  return (
    <>
      <PageTitle title="Errors">
        <button type="button" onClick={() => void exportCsv()} disabled={busy !== undefined}>
          {busy === 'export' ? 'Exporting…' : 'Export CSV'}
        </button>
      </PageTitle>
      <form className="toolbar" onSubmit={apply} role="search" aria-label="Filter errors">
        <FormField label="Entity">
          {(id) => (
            <select id={id} value={entity} onChange={(event) => setEntity(event.target.value)}>
              <option value="">All entities</option>
              {Object.keys(status.data?.entities ?? {}).map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField label="Search" className="grow">
          {(id) => (
            <input
              id={id}
              type="search"
              value={search}
              onChange={(event) => setSearch(event.target.value)}
              placeholder="code, message or CRM id"
            />
          )}
        </FormField>
        <button type="submit">Apply</button>
      </form>
      <StatusMessage message={message} />
      {status.data === undefined ? null : (
        <p className="muted" data-testid="error-count">
          {status.data.errors.open} open {status.data.errors.open === 1 ? 'error' : 'errors'} (
          {status.data.errors.total} kept). An error not seen again for {status.data.errors.retentionDays}{' '}
          days is deleted.
        </p>
      )}
      <PagedView
        list={list}
        what="the errors"
        empty={query.entity !== '' || query.q !== '' ? 'No sync error matches.' : 'No sync errors.'}
      >
        {(items) => (
          <DataTable label="Sync errors" columns={columns}>
            {items.map((error) => (
              <tr key={error.id}>
                <td>
                  <Instant at={error.lastSeen} />
                  <div className="muted small">
                    first <Instant at={error.firstSeen} />
                  </div>
                </td>
                <td>{error.entity}</td>
                <td className="cell-id">
                  {error.crmId === null ? <span className="muted">—</span> : <Clipped text={error.crmId} />}
                  {error.personId === null ? null : (
                    <div>
                      <Link href={personPath(error.personId)}>person</Link>
                    </div>
                  )}
                </td>
                <td>
                  {error.direction === 'toCrm' ? 'to CRM' : 'from CRM'} · {error.operation}
                </td>
                <td className="mono">{error.code}</td>
                <td className="cell-text wrap">{error.message}</td>
                <td className="number">{error.count}</td>
                <td>
                  <Badge
                    tone={error.status === 'resolved' ? 'good' : error.status === 'retry' ? 'info' : 'bad'}
                  >
                    {error.status}
                  </Badge>
                </td>
                <td>
                  <button
                    type="button"
                    className="button-small"
                    onClick={() => void retry(error)}
                    disabled={busy !== undefined || error.status === 'resolved'}
                    aria-label={`Retry ${error.entity} ${error.crmId ?? error.id}`}
                  >
                    {busy === error.id ? 'Retrying…' : 'Retry'}
                  </button>
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </PagedView>
    </>
  );
}
