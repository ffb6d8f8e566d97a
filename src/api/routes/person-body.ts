import type { Person as PersonBody } from '../contracts/person.ts';
import { isSystemField } from '../../domain/person-fields.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { Person } from '../../domain/person.ts';

/** The flat shape persons are served in (interfaces.md §4): fields first, so identity can never be shadowed. */
export function toPersonBody(person: Person): PersonBody {
  return { ...person.fields, id: person.id, createdAt: person.createdAt, updatedAt: person.updatedAt };
}

const identityFields = new Set(['id', 'createdAt', 'updatedAt']);

/** Rejects a body that sets a system field or the identity (interfaces.md §6), before anything is written. */
export function rejectReadOnlyFields(fields: Record<string, unknown>): void {
  const readOnly = Object.keys(fields).filter((name) => isSystemField(name) || identityFields.has(name));
  if (readOnly.length > 0) {
    throw new SynclineError(
      'READ_ONLY_FIELD',
      `Read-only field${readOnly.length > 1 ? 's' : ''} cannot be set: ${readOnly.join(', ')}.`,
      { details: { fields: readOnly } },
    );
  }
}

export function personNotFound(id: string): SynclineError {
  return new SynclineError('NOT_FOUND', `No person with id ${id}.`, { details: { id } });
}
