import { useMemo, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import type { SyncFieldView, SyncStatus } from '../api/types.ts';
import { useSession } from '../auth/session.ts';
import { DataTable } from '../components/data-table.tsx';
import { Loadable } from '../components/loadable.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import {
  addedAttributes,
  changedEntities,
  selectionBody,
  selectionOf,
  withField,
  type FieldPolicy,
  type Selection,
} from '../field-selection.ts';
import { useResource } from '../hooks/use-resource.ts';
import { FieldRow, type BackfillProgress } from './field-row.tsx';
import { FormField } from '../components/form-field.tsx';

const columns = [
  { label: 'Sync' },
  { label: 'Attribute' },
  { label: 'Person field' },
  { label: 'Type' },
  { label: 'Access' },
  { label: 'Collision rule' },
  { label: 'State' },
];

/**
 * B5: every CRM attribute per entity, what the sync user may do with it, whether it syncs, and its state.
 * Saving refreshes the schema from the CRM metadata and starts backfills (B5.4, B5.5); the page then polls
 * until they are done.
 */
export function FieldsPage() {
  const { api } = useSession();
  const [backfilling, setBackfilling] = useState(false);
  const fields = useResource<SyncFieldView[]>('/api/v1/sync/fields', backfilling ? 1500 : undefined);
  const status = useResource<SyncStatus>(backfilling ? '/api/v1/sync/status' : null, 1500);
  const [entity, setEntity] = useState<string | undefined>(undefined);
  const [filter, setFilter] = useState('');
  const [onlySelected, setOnlySelected] = useState(false);
  const [draft, setDraft] = useState<Selection | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'bad'; text: string } | undefined>(undefined);

  const data = fields.data;
  const saved = useMemo(() => (data === undefined ? undefined : selectionOf(data)), [data]);
  // An edit is kept across polls; it is dropped only by a save or a discard.
  const selection = draft ?? saved;
  const anyBackfilling = data?.some((field) => field.state === 'backfilling') ?? false;
  // Polls only while a backfill runs (adjusting state from the last render, as React recommends).
  if (anyBackfilling !== backfilling) setBackfilling(anyBackfilling);

  const entities = useMemo(() => [...new Set((data ?? []).map((field) => field.entity))], [data]);
  const current = entity ?? entities.find((name) => name === 'lead') ?? entities[0];
  const changed = selection === undefined || saved === undefined ? [] : changedEntities(selection, saved);

  const edit = (field: SyncFieldView, selected: boolean, policy: FieldPolicy | null) => {
    if (selection !== undefined)
      setDraft(withField(selection, field.entity, field.attribute, selected, policy));
  };

  const save = async () => {
    if (selection === undefined || saved === undefined) return;
    const added = addedAttributes(selection, saved);
    setSaving(true);
    setMessage(undefined);
    try {
      const next = await api.put<SyncFieldView[]>('/api/v1/sync/fields', selectionBody(selection, changed));
      fields.set(next);
      setDraft(undefined);
      const started = next
        .filter((field) => field.state === 'backfilling')
        .map((field) => `${field.entity}.${field.attribute}`)
        .filter((name) => added.includes(name));
      setMessage({
        tone: 'good',
        text:
          `Saved. The schema was refreshed from the CRM metadata.` +
          (started.length > 0 ? ` Backfill started for ${started.join(', ')}.` : ''),
      });
    } catch (error) {
      setMessage({ tone: 'bad', text: `Not saved: ${describeError(error)}` });
    } finally {
      setSaving(false);
    }
  };

  const progressOf = (field: SyncFieldView): BackfillProgress | undefined => {
    const backfill = status.data?.backfills.find(
      (candidate) => candidate.entity === field.entity && candidate.attributes.includes(field.attribute),
    );
    return backfill === undefined ? undefined : { processed: backfill.processed, total: backfill.total };
  };

  const needle = filter.trim().toLowerCase();
  return (
    <>
      <PageTitle title="Fields">
        <button type="button" onClick={() => setDraft(undefined)} disabled={saving || changed.length === 0}>
          Discard changes
        </button>
        <button
          type="button"
          className="button-primary"
          onClick={() => void save()}
          disabled={saving || changed.length === 0}
        >
          {saving ? 'Saving…' : 'Save selection'}
        </button>
      </PageTitle>
      <p className="muted">
        Choose the CRM attributes to sync. Only attributes the sync user can read can be selected; attributes
        it cannot update are pulled but never pushed. Saving refreshes the schema from the CRM and backfills
        every newly selected field for all linked records.
      </p>
      <p className="muted" data-testid="no-crm-field-creation">
        Syncline never creates fields in the CRM. To sync a field the CRM does not have yet, add the column in
        Dynamics 365 (Power Apps → Tables → the table → Columns), then save here: the list is refreshed from
        the CRM and the new attribute can be selected.
      </p>
      <StatusMessage message={message} />
      <Loadable resource={fields} what="the fields">
        {(list) => (
          <>
            <div className="toolbar">
              <div className="segmented" role="group" aria-label="Entity">
                {entities.map((name) => (
                  <button
                    key={name}
                    type="button"
                    aria-pressed={name === current}
                    onClick={() => setEntity(name)}
                  >
                    {name}
                    {changed.includes(name) ? ' •' : ''}
                  </button>
                ))}
              </div>
              <FormField label="Filter">
                {(id) => (
                  <input
                    id={id}
                    type="search"
                    value={filter}
                    onChange={(event) => setFilter(event.target.value)}
                    placeholder="attribute or person field"
                  />
                )}
              </FormField>
              <label className="inline-check">
                <input
                  type="checkbox"
                  checked={onlySelected}
                  onChange={(event) => setOnlySelected(event.target.checked)}
                />
                Selected only
              </label>
            </div>
            <DataTable label={`Attributes of ${current ?? 'the entity'}`} columns={columns}>
              {list
                .filter((field) => field.entity === current)
                .filter((field) => !onlySelected || selection?.[field.entity]?.has(field.attribute) === true)
                .filter(
                  (field) =>
                    needle === '' ||
                    field.attribute.includes(needle) ||
                    (field.personField ?? '').toLowerCase().includes(needle),
                )
                .map((field) => (
                  <FieldRow
                    key={field.attribute}
                    field={field}
                    checked={selection?.[field.entity]?.has(field.attribute) === true}
                    policy={selection?.[field.entity]?.get(field.attribute) ?? null}
                    onChange={(selected, policy) => edit(field, selected, policy)}
                    progress={progressOf(field)}
                  />
                ))}
            </DataTable>
          </>
        )}
      </Loadable>
    </>
  );
}
