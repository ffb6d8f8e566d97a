import { useMemo, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import type { SyncFieldSelection, SyncFieldView, SyncStatus } from '../api/types.ts';
import { useSession } from '../auth/session.ts';
import { DataTable } from '../components/data-table.tsx';
import { Loadable } from '../components/loadable.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import { useResource } from '../hooks/use-resource.ts';
import { FieldRow, type BackfillProgress } from './field-row.tsx';

const columns = [
  { label: 'Sync' },
  { label: 'Attribute' },
  { label: 'Person field' },
  { label: 'Type' },
  { label: 'Access' },
  { label: 'State' },
];

type Draft = Readonly<Record<string, ReadonlySet<string>>>;

const selectionOf = (fields: readonly SyncFieldView[]): Draft => {
  const draft: Record<string, Set<string>> = {};
  for (const field of fields) {
    draft[field.entity] ??= new Set();
    if (field.selected) draft[field.entity]!.add(field.attribute);
  }
  return draft;
};

const sameSet = (a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined) =>
  (a?.size ?? 0) === (b?.size ?? 0) && [...(a ?? [])].every((item) => b?.has(item) === true);

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
  const [draft, setDraft] = useState<Draft | undefined>(undefined);
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
  const changedEntities = entities.filter((name) => !sameSet(selection?.[name], saved?.[name]));

  const toggle = (field: SyncFieldView, on: boolean) => {
    if (selection === undefined) return;
    const next = new Set(selection[field.entity]);
    if (on) next.add(field.attribute);
    else next.delete(field.attribute);
    setDraft({ ...selection, [field.entity]: next });
  };

  const save = async () => {
    if (selection === undefined) return;
    const body: SyncFieldSelection = {};
    for (const name of changedEntities) body[name] = [...(selection[name] ?? [])].sort();
    const added = changedEntities.flatMap((name) =>
      [...(selection[name] ?? [])].filter((attribute) => saved?.[name]?.has(attribute) !== true),
    );
    setSaving(true);
    setMessage(undefined);
    try {
      const next = await api.put<SyncFieldView[]>('/api/v1/sync/fields', body);
      fields.set(next);
      setDraft(undefined);
      const started = next.filter(
        (field) => field.state === 'backfilling' && added.includes(field.attribute),
      );
      setMessage({
        tone: 'good',
        text:
          `Saved. The schema was refreshed from the CRM metadata.` +
          (started.length > 0
            ? ` Backfill started for ${started.map((field) => `${field.entity}.${field.attribute}`).join(', ')}.`
            : ''),
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
        <button
          type="button"
          onClick={() => setDraft(undefined)}
          disabled={saving || changedEntities.length === 0}
        >
          Discard changes
        </button>
        <button
          type="button"
          className="button-primary"
          onClick={() => void save()}
          disabled={saving || changedEntities.length === 0}
        >
          {saving ? 'Saving…' : 'Save selection'}
        </button>
      </PageTitle>
      <p className="muted">
        Choose the CRM attributes to sync. Only attributes the sync user can read can be selected; attributes
        it cannot update are pulled but never pushed. Saving refreshes the schema from the CRM and backfills
        every newly selected field for all linked records.
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
                    {changedEntities.includes(name) ? ' •' : ''}
                  </button>
                ))}
              </div>
              <label className="inline-field">
                <span>Filter</span>
                <input
                  type="search"
                  value={filter}
                  onChange={(event) => setFilter(event.target.value)}
                  placeholder="attribute or person field"
                />
              </label>
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
                    onToggle={(on) => toggle(field, on)}
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
