import { timeOrderedId } from './time-ordered-id.ts';
import type { PersonValue } from '../../domain/person.ts';

/**
 * Normalising what the two backends return (see schema.ts): JSON as text or object, timestamps as text or
 * Date, booleans as 0/1 or boolean, bigints as strings or numbers.
 */

/** Exactly what `toISOString()` produces; such text (SQLite hands it back as written) needs no re-parsing. */
const canonicalIso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const iso = (value: string | Date): string =>
  typeof value === 'string' && canonicalIso.test(value) ? value : new Date(value).toISOString();

export const isoOrNull = (value: string | Date | null): string | null => (value === null ? null : iso(value));

export const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

export const bool = (value: boolean | number): boolean => value === true || value === 1;

export const num = (value: number | string): number => Number(value);

/** Scalar person values (bases, conflicts) are stored as JSON text so a string never reads back as JSON. */
export const encodeValue = (value: PersonValue): string => JSON.stringify(value);
export const decodeValue = (text: string): PersonValue => JSON.parse(text) as PersonValue;

export const nowIso = (): string => new Date().toISOString();

/**
 * Time-ordered ids (UUIDv7): keyset paging by id is creation order, and inserts append to the index's end,
 * which keeps bulk loads fast on both backends.
 */
export const newId = (): string => timeOrderedId();

/** Ids arrive from URLs and the CRM; anything not shaped like a key can match no row (and PG rejects NUL). */
export function isPlausibleKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 && !value.includes('\u0000');
}

/** PostgreSQL's jsonb rejects the NUL character; refuse it on both backends alike. */
export function hasNul(value: unknown): boolean {
  return JSON.stringify(value).includes('\\u0000');
}
