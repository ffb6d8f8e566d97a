import type { PersonFieldType } from '../../domain/person-fields.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { PersonValue, WriteOrigin } from '../../domain/person.ts';
import type { PersonField } from '../person-store.ts';

/** Longest string a person field may hold (Dataverse's longest text attribute is 1,048,576 characters). */
export const maxStringLength = 100_000;

/** Keys that describe a person but are not fields: never writable. */
const recordKeys = new Set(['id', 'createdAt', 'updatedAt']);

interface Problem {
  readonly field: string;
  readonly message: string;
}

/**
 * Checks a write against the person-field registry and returns the normalised values (date-times as
 * `toISOString()`, so equal instants compare equal, B4.1). Throws, in this order: VALIDATION_FAILED when the
 * input is not an object, UNKNOWN_FIELD, READ_ONLY_FIELD (system fields unless `origin` is `sync`; id and
 * timestamps always), VALIDATION_FAILED for wrong types and oversize values. `details` lists each problem.
 */
export function validatePersonInput(
  input: unknown,
  fieldOf: (name: string) => PersonField | undefined,
  origin: WriteOrigin,
): Record<string, PersonValue> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SynclineError('VALIDATION_FAILED', 'Person fields must be a JSON object.');
  }
  // One pass over the keys (this runs for every record of an initial load); problems are gathered by kind
  // and thrown in the documented order.
  const unknown: string[] = [];
  const readOnly: string[] = [];
  const values: Record<string, PersonValue> = {};
  const problems: Problem[] = [];
  for (const name in input) {
    if (!Object.hasOwn(input, name)) continue;
    const field = recordKeys.has(name) ? undefined : fieldOf(name);
    if (field === undefined) {
      if (recordKeys.has(name)) readOnly.push(name);
      else unknown.push(name);
      continue;
    }
    if (field.readOnly && origin !== 'sync') {
      readOnly.push(name);
      continue;
    }
    const checked = checkValue(name, field.type, (input as Record<string, unknown>)[name]);
    if (typeof checked === 'object' && checked !== null && 'problem' in checked) {
      problems.push({ field: name, message: checked.problem });
    } else {
      values[name] = checked as PersonValue;
    }
  }
  if (unknown.length > 0) {
    throw new SynclineError('UNKNOWN_FIELD', `Unknown person field(s): ${list(unknown)}.`, {
      details: { fields: unknown.slice(0, 50) },
    });
  }
  if (readOnly.length > 0) {
    throw new SynclineError(
      'READ_ONLY_FIELD',
      `Read-only field(s) cannot be set: ${list(readOnly)} (system fields are written only by the sync).`,
      { details: { fields: readOnly } },
    );
  }
  if (problems.length > 0) {
    throw new SynclineError(
      'VALIDATION_FAILED',
      `Invalid person field value(s): ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      { details: { problems } },
    );
  }
  return values;
}

type Checked = PersonValue | { problem: string };

function checkValue(name: string, type: PersonFieldType, value: unknown): Checked {
  if (value === null) return null;
  if (name === 'crmType') {
    return value === 'lead' || value === 'contact' ? value : { problem: "must be 'lead', 'contact' or null" };
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return { problem: 'must be a string or null' };
      if (value.length > maxStringLength) return { problem: `must be at most ${maxStringLength} characters` };
      if (value.includes('\u0000')) return { problem: 'must not contain NUL characters' };
      return value;
    case 'integer':
      return Number.isSafeInteger(value) ? (value as number) : { problem: 'must be a whole number or null' };
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? value
        : { problem: 'must be a finite number or null' };
    case 'boolean':
      return typeof value === 'boolean' ? value : { problem: 'must be true, false or null' };
    case 'datetime':
      return checkDateTime(value);
    case 'date':
      return checkDate(value);
  }
}

/** Exactly what `toISOString()` writes: already normalised, no parsing needed. */
const canonicalDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function checkDateTime(value: unknown): Checked {
  if (typeof value === 'string' && canonicalDateTime.test(value) && !Number.isNaN(Date.parse(value)))
    return value;
  if (typeof value !== 'string' || !dateTimePattern.test(value)) {
    return { problem: 'must be an ISO 8601 date-time with a time zone (e.g. 2024-05-01T12:00:00Z) or null' };
  }
  const time = Date.parse(value);
  return Number.isNaN(time) ? { problem: 'is not a valid date-time' } : new Date(time).toISOString();
}

function checkDate(value: unknown): Checked {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return { problem: 'must be a date YYYY-MM-DD or null' };
  }
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value)
    ? value
    : { problem: 'is not a valid calendar date' };
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}

/** Custom field names: a letter, then letters, digits or `_` (Dataverse logical names fit), ≤ 100 chars. */
export const personFieldNamePattern = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

/** The lookup key of an email: trimmed and lower-cased in JS, so both backends fold case the same way. */
export function normaliseEmail(email: PersonValue | undefined): string | null {
  if (typeof email !== 'string') return null;
  const trimmed = email.trim().toLowerCase();
  return trimmed === '' ? null : trimmed;
}
