import { useState, type FormEvent } from 'react';
import type {
  ChangeOwnerResultView,
  CreateTaskResultView,
  SyncToCrmBody,
  SyncToCrmResultView,
} from '../api/flow-types.ts';
import type { Person, ResyncResultView } from '../api/types.ts';
import { useSession } from '../auth/session.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { OwnerSelect } from '../components/owner-select.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import { useAction } from '../hooks/use-action.ts';
import { useOwners } from '../hooks/use-owners.ts';
import { FormField } from '../components/form-field.tsx';

/**
 * The flow actions on one person (B7.1, B7.6) and resync (B8.2). Each runs in real time; its outcome, or the
 * CRM's rejection with its message (B7.3), shows here and in the activity log.
 */
export function PersonActions({ person, onChanged }: { person: Person; onChanged: () => void }) {
  const { api } = useSession();
  const { owners, error: ownersError } = useOwners();
  const { busy, message, run } = useAction(onChanged);
  const [syncAs, setSyncAs] = useState<'lead' | 'contact'>('lead');
  const [syncOwner, setSyncOwner] = useState('');
  const [newOwner, setNewOwner] = useState('');
  const [subject, setSubject] = useState('');
  const [description, setDescription] = useState('');
  const [dueInDays, setDueInDays] = useState('5');
  const linked = person.crmType !== null && person.crmIsDeleted !== true;
  const base = `/api/v1/persons/${encodeURIComponent(person.id)}/actions`;

  const submit = (name: string, work: () => Promise<string>) => (event: FormEvent) => {
    event.preventDefault();
    void run(name, work);
  };

  return (
    <section className="card" aria-labelledby="actions-heading">
      <h2 id="actions-heading">Actions</h2>
      {ownersError === undefined ? null : <ErrorBanner error={ownersError} />}
      <StatusMessage message={message} />

      <form
        className="action-form"
        aria-labelledby="sync-to-crm-heading"
        onSubmit={submit('sync', async () => {
          const body: SyncToCrmBody = { syncAs, ...(syncOwner === '' ? {} : { ownerId: syncOwner }) };
          const result = await api.post<SyncToCrmResultView>(`${base}/sync-to-crm`, body);
          return result.status === 'created'
            ? `Created in the CRM as ${result.crmType} ${result.crmId}.`
            : `Already in the CRM as ${result.crmType} ${result.crmId}; nothing was written.`;
        })}
      >
        <h3 id="sync-to-crm-heading">Sync Person to Microsoft</h3>
        <fieldset className="inline-radios">
          <legend>Sync as</legend>
          {(['lead', 'contact'] as const).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name="sync-as"
                value={value}
                checked={syncAs === value}
                onChange={() => setSyncAs(value)}
              />
              {value}
            </label>
          ))}
        </fieldset>
        <OwnerSelect label="Owner" owners={owners} value={syncOwner} onChange={setSyncOwner} optional />
        <button type="submit" className="button-primary" disabled={busy !== undefined}>
          {busy === 'sync' ? 'Syncing…' : 'Sync Person to Microsoft'}
        </button>
        {linked ? <p className="hint">Already linked: the action changes nothing in the CRM.</p> : null}
      </form>

      <form
        className="action-form"
        aria-labelledby="change-owner-heading"
        onSubmit={submit('owner', async () => {
          const result = await api.post<ChangeOwnerResultView>(`${base}/change-owner`, { ownerId: newOwner });
          const name = owners.find((owner) => owner.id === newOwner)?.name ?? newOwner;
          return `${result.synced ? `Synced to the CRM as ${result.crmType} first; ` : ''}the owner in the CRM is now ${name}.`;
        })}
      >
        <h3 id="change-owner-heading">Change Owner in Microsoft</h3>
        <OwnerSelect
          label="New owner"
          owners={owners}
          value={newOwner}
          onChange={setNewOwner}
          optional={false}
        />
        <button type="submit" disabled={busy !== undefined || newOwner === ''}>
          {busy === 'owner' ? 'Changing…' : 'Change Owner'}
        </button>
      </form>

      <form
        className="action-form"
        aria-labelledby="create-task-heading"
        onSubmit={submit('task', async () => {
          const days = Number.parseInt(dueInDays, 10);
          const result = await api.post<CreateTaskResultView>(`${base}/create-task`, {
            subject: subject.trim(),
            ...(description.trim() === '' ? {} : { description: description.trim() }),
            ...(Number.isFinite(days) ? { dueInDays: days } : {}),
          });
          setSubject('');
          setDescription('');
          return `Task "${subject.trim()}" created in the CRM, due ${new Date(result.dueDate).toLocaleDateString()}.`;
        })}
      >
        <h3 id="create-task-heading">Create Task in Microsoft</h3>
        <FormField label="Subject">
          {(id) => (
            <input
              id={id}
              value={subject}
              onChange={(event) => setSubject(event.target.value)}
              required
              maxLength={200}
            />
          )}
        </FormField>
        <FormField label="Description">
          {(id) => (
            <textarea
              id={id}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
              rows={2}
            />
          )}
        </FormField>
        <FormField label="Due in days" className="narrow">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              max={3650}
              value={dueInDays}
              onChange={(event) => setDueInDays(event.target.value)}
            />
          )}
        </FormField>
        <button type="submit" disabled={busy !== undefined || subject.trim() === '' || !linked}>
          {busy === 'task' ? 'Creating…' : 'Create Task'}
        </button>
        {linked ? null : <p className="hint">Needs a person linked to the CRM: sync the person first.</p>}
      </form>

      <div className="action-form">
        <h3>Resync</h3>
        <p className="hint">Reads both sides of this record again and merges them now.</p>
        <button
          type="button"
          disabled={busy !== undefined || !linked}
          onClick={() =>
            void run('resync', async () => {
              const result = await api.post<ResyncResultView>('/api/v1/sync/resync', { personId: person.id });
              return `Resynced ${result.entity} ${result.crmId}: ${result.toMarketing.length} field(s) from the CRM, ${result.toCrm.length} to the CRM.`;
            })
          }
        >
          {busy === 'resync' ? 'Resyncing…' : 'Resync'}
        </button>
      </div>
    </section>
  );
}
