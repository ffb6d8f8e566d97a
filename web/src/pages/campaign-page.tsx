import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { ApiError, describeError } from '../api/api-error.ts';
import {
  toDefinition,
  type Campaign,
  type CampaignDefinition,
  type CampaignInput,
} from '../api/flow-types.ts';
import type { PersonField } from '../api/types.ts';
import { useSession } from '../auth/session.ts';
import { Loadable } from '../components/loadable.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { useOwners } from '../hooks/use-owners.ts';
import { useResource } from '../hooks/use-resource.ts';
import { paths } from '../routes.ts';
import { CampaignForm } from './campaign-form.tsx';

const blank: CampaignDefinition = {
  name: '',
  enabled: true,
  trigger: { type: 'person-created' },
  filters: [],
  steps: [{ action: 'sync-to-crm', syncAs: 'lead' }],
};

/** Create (`/campaigns/new`) or edit and delete one trigger campaign (B7.5). */
export function CampaignPage({ id }: { id: string }) {
  const isNew = id === 'new';
  const campaign = useResource<Campaign>(isNew ? null : `/api/v1/campaigns/${encodeURIComponent(id)}`);
  const fields = useResource<PersonField[]>('/api/v1/person-fields');
  const title = isNew ? 'New campaign' : (campaign.data?.name ?? 'Campaign');
  return (
    <>
      <PageTitle title={title} />
      <p>
        <Link href={paths.campaigns}>← All campaigns</Link>
      </p>
      <Loadable resource={fields} what="the person fields">
        {(fieldList) =>
          isNew ? (
            <CampaignEditor id={undefined} initial={blank} fields={fieldList} />
          ) : (
            <Loadable resource={campaign} what="the campaign">
              {(current) => (
                <CampaignEditor
                  key={current.id}
                  id={current.id}
                  initial={toDefinition(current)}
                  fields={fieldList}
                />
              )}
            </Loadable>
          )
        }
      </Loadable>
    </>
  );
}

function CampaignEditor({
  id,
  initial,
  fields,
}: {
  id: string | undefined;
  initial: CampaignDefinition;
  fields: readonly PersonField[];
}) {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const { owners } = useOwners();
  const [draft, setDraft] = useState<CampaignDefinition>(initial);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(undefined);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const body = draft satisfies CampaignInput;
      if (id === undefined) await api.post<Campaign>('/api/v1/campaigns', body);
      else await api.put<Campaign>(`/api/v1/campaigns/${encodeURIComponent(id)}`, body);
      navigate(paths.campaigns);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (id === undefined || !window.confirm(`Delete the campaign "${draft.name}"?`)) return;
    setBusy(true);
    try {
      await api.delete(`/api/v1/campaigns/${encodeURIComponent(id)}`);
      navigate(paths.campaigns);
    } catch (error) {
      setFailure(error);
      setBusy(false);
    }
  };

  const problems =
    failure instanceof ApiError && Array.isArray(failure.details?.problems)
      ? (failure.details.problems as { path: string; message: string }[])
      : [];
  return (
    <form className="card campaign-form" onSubmit={(event) => void save(event)} aria-label="Campaign">
      {failure === undefined ? null : (
        <div role="alert" className="banner banner-error">
          <span>Not saved: {describeError(failure)}</span>
          {problems.length === 0 ? null : (
            <ul>
              {problems.map((problem) => (
                <li key={`${problem.path}:${problem.message}`}>
                  <span className="mono">{problem.path}</span> {problem.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <CampaignForm draft={draft} onChange={setDraft} fields={fields} owners={owners} />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Saving…' : id === undefined ? 'Create campaign' : 'Save campaign'}
        </button>
        <Link href={paths.campaigns} className="button">
          Cancel
        </Link>
        {id === undefined ? null : (
          <button type="button" className="button-danger" onClick={() => void remove()} disabled={busy}>
            Delete
          </button>
        )}
      </div>
    </form>
  );
}
