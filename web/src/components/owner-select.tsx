import type { Owner } from '../hooks/use-owners.ts';

/** A labelled select of CRM users and teams; the empty choice is "the default owner" when optional. */
export function OwnerSelect({
  id,
  label,
  owners,
  value,
  onChange,
  optional,
}: {
  id: string;
  label: string;
  owners: readonly Owner[];
  value: string;
  onChange: (value: string) => void;
  optional: boolean;
}) {
  return (
    <label className="inline-field" htmlFor={id}>
      <span>{label}</span>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)} required={!optional}>
        <option value="">{optional ? 'Default (the sync user)' : 'Choose an owner…'}</option>
        <optgroup label="Users">
          {owners
            .filter((owner) => owner.kind === 'user')
            .map((owner) => (
              <option key={owner.id} value={owner.id}>
                {owner.name}
              </option>
            ))}
        </optgroup>
        <optgroup label="Teams">
          {owners
            .filter((owner) => owner.kind === 'team')
            .map((owner) => (
              <option key={owner.id} value={owner.id}>
                {owner.name}
              </option>
            ))}
        </optgroup>
      </select>
    </label>
  );
}
