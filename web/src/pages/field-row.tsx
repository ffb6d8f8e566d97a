import type { SyncFieldView } from '../api/types.ts';
import { Badge, type BadgeTone } from '../components/badge.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { fieldPolicies, type FieldPolicy } from '../field-selection.ts';

export interface BackfillProgress {
  readonly processed: number;
  readonly total: number | null;
}

const stateTone: Record<SyncFieldView['state'], BadgeTone> = {
  available: 'neutral',
  inaccessible: 'neutral',
  synced: 'good',
  backfilling: 'info',
  quarantined: 'bad',
};

/** One attribute: its checkbox says why it cannot change when it cannot (B5.1, B5.5). */
export function FieldRow({
  field,
  checked,
  policy,
  onChange,
  progress,
}: {
  field: SyncFieldView;
  checked: boolean;
  policy: FieldPolicy | null;
  onChange: (selected: boolean, policy: FieldPolicy | null) => void;
  progress: BackfillProgress | undefined;
}) {
  const id = `field-${field.entity}-${field.attribute}`;
  const lockedReason = !field.access.read
    ? (field.stateReason ?? 'The sync user cannot read this attribute.')
    : field.state === 'backfilling' && checked
      ? 'Backfilling: it can be deselected when the backfill is done.'
      : undefined;
  return (
    <tr data-attribute={field.attribute}>
      <td>
        <input
          id={id}
          type="checkbox"
          checked={checked}
          disabled={lockedReason !== undefined}
          onChange={(event) => onChange(event.target.checked, policy)}
          aria-label={`Sync ${field.entity}.${field.attribute}`}
          aria-describedby={lockedReason === undefined ? undefined : `${id}-why`}
          title={lockedReason}
        />
      </td>
      <td>
        <label htmlFor={id} className="mono">
          {field.attribute}
        </label>
      </td>
      <td className="mono">{field.personField ?? <span className="muted">—</span>}</td>
      <td>{field.type}</td>
      <td>
        <span className="access">
          <Badge tone={field.access.read ? 'good' : 'neutral'}>
            {field.access.read ? 'read' : 'no read'}
          </Badge>
          <Badge tone={field.access.update ? 'good' : 'neutral'}>
            {field.access.update ? 'update' : 'read-only'}
          </Badge>
        </span>
      </td>
      <td>
        <select
          aria-label={`Collision rule of ${field.entity}.${field.attribute}`}
          value={policy ?? ''}
          disabled={!checked}
          onChange={(event) =>
            onChange(true, event.target.value === '' ? null : (event.target.value as FieldPolicy))
          }
        >
          <option value="">entity rule</option>
          {fieldPolicies.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </td>
      <td className="cell-state">
        <Badge tone={stateTone[field.state]}>{field.state}</Badge>
        {field.state === 'backfilling' && progress !== undefined ? (
          <ProgressBar
            label={`Backfill of ${field.attribute}`}
            value={progress.processed}
            max={progress.total}
          />
        ) : null}
        {field.stateReason !== null && field.state !== 'inaccessible' ? (
          <span className="reason wrap">{field.stateReason}</span>
        ) : null}
        {lockedReason === undefined ? null : (
          <span id={`${id}-why`} className="reason wrap">
            {lockedReason}
          </span>
        )}
      </td>
    </tr>
  );
}
