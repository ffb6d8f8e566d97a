import type { Owner } from '../hooks/use-owners.ts';
import { FormField } from './form-field.tsx';

/** A labelled select of CRM users and teams; the empty choice is "the default owner" when optional. */
export function OwnerSelect({
  label,
  owners,
  value,
  onChange,
  optional,
}: {
  label: string;
  owners: readonly Owner[];
  value: string;
  onChange: (value: string) => void;
  optional: boolean;
}) {
  const group = (kind: Owner['kind']) =>
    owners
      .filter((owner) => owner.kind === kind)
      .map((owner) => (
        <option key={owner.id} value={owner.id}>
          {owner.name}
        </option>
      ));
  return (
    <FormField label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(event) => onChange(event.target.value)} required={!optional}>
          <option value="">{optional ? 'Default (the sync user)' : 'Choose an owner…'}</option>
          <optgroup label="Users">{group('user')}</optgroup>
          <optgroup label="Teams">{group('team')}</optgroup>
        </select>
      )}
    </FormField>
  );
}
