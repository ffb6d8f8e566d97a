import { SynclineError } from '../../errors/syncline-error.ts';
import type { Page } from '../person-store.ts';

/** Largest page any list method serves (the API's `limit` maximum). */
export const maxPageSize = 1000;

/**
 * Opaque keyset cursors: base64url of `[kind, ...key]`. The kind stops a cursor of one list from being
 * replayed against another; a malformed or foreign cursor is INVALID_CURSOR, never a database error.
 */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

export function decodeCursor(
  cursor: string,
  kind: string,
  types: readonly ('string' | 'number')[],
): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length === types.length + 1 &&
    parsed[0] === kind &&
    types.every((type, index) => {
      const value: unknown = parsed[index + 1];
      return typeof value === type && (type === 'number' || !(value as string).includes('\u0000'));
    });
  if (!valid)
    throw new SynclineError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.');
  return (parsed as unknown[]).slice(1);
}

/** Throws VALIDATION_FAILED unless `limit` is a whole number in 1…max. */
export function checkLimit(limit: number, max: number = maxPageSize): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new SynclineError('VALIDATION_FAILED', `limit must be a whole number from 1 to ${max}.`, {
      details: { problems: [{ field: 'limit', message: `must be 1–${max}` }] },
    });
  }
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only proves there is more, and the cursor is
 * the key of the last row served.
 */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (row: R) => string,
): Page<T> {
  const served = rows.slice(0, limit);
  return {
    items: served.map(map),
    nextCursor: rows.length > limit ? cursorOf(served[served.length - 1]) : null,
  };
}
