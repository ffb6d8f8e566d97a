import { z } from 'zod';
import { CrmError } from '../crm-error.ts';

/**
 * The opaque change cursor the engine stores per entity (B2.4), as JSON:
 * - `delta`: a change-tracking `@odata.deltaLink` (the point after the last completed read);
 * - `delta-page`: an `@odata.nextLink` inside a tracked initial load or a large delta, so a crash redoes at most
 *   one page;
 * - `watermark`: for entities without change tracking, the highest `modifiedon` applied and the versions of the
 *   rows seen inside the overlap window (de-duplication of the re-read).
 * Links are stored relative to the data URL (`contacts?$select=…&$deltatoken=…`) so they survive a change of
 * host name and are always resent to the configured organisation.
 */
const select = z.array(z.string());
const cursorSchema = z.discriminatedUnion('mode', [
  z.object({ v: z.literal(1), mode: z.literal('delta'), link: z.string(), select }),
  z.object({ v: z.literal(1), mode: z.literal('delta-page'), link: z.string(), select }),
  z.object({
    v: z.literal(1),
    mode: z.literal('watermark'),
    since: z.string().nullable(),
    seen: z.record(z.string(), z.string()),
    select,
  }),
]);

export type ChangeCursor = z.infer<typeof cursorSchema>;

export function encodeCursor(cursor: ChangeCursor): string {
  return JSON.stringify(cursor);
}

/** A cursor we cannot read (corrupt, from another version) is treated like an expired token: reconcile. */
export function decodeCursor(text: string): ChangeCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) {
    throw new CrmError(
      { errorClass: 'expired-cursor', reason: 'delta-expired' },
      'The stored change cursor is not readable; the entity must be reconciled.',
    );
  }
  return result.data;
}

/** `https://org/api/data/v9.2/contacts?…` → `contacts?…` (whatever the host the server used). */
export function relativeLink(link: string, dataPath: string): string {
  const index = link.indexOf(dataPath);
  if (index >= 0) return link.slice(index + dataPath.length);
  const generic = /\/api\/data\/v\d+(?:\.\d+)?\/(.*)$/.exec(link);
  if (generic) return generic[1];
  throw new CrmError({ errorClass: 'pass', reason: 'protocol' }, `Unexpected link from Dataverse: ${link}`);
}

/** The same link with another `$select` (columns are a projection; the token stays valid). */
export function withSelect(link: string, columns: readonly string[]): string {
  const [path, query = ''] = link.split('?', 2);
  const params = query
    .split('&')
    .filter((param) => param !== '' && !param.startsWith('$select='))
    .concat(`$select=${columns.join(',')}`);
  return `${path}?${params.join('&')}`;
}

export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

/**
 * De-duplication state for the `modifiedon` watermark: keep the versions of rows modified within `overlapMs`
 * of the newest one (those are re-read next time), at most `limit` of them. Beyond the limit a row may be
 * delivered twice, which the engine's three-way merge absorbs (re-applying the same values writes nothing).
 */
export function advanceWatermark(
  state: { since: string | null; seen: Record<string, string> },
  rows: readonly { id: string; version: string; modifiedOn: string | undefined }[],
  overlapMs: number,
  limit = 5000,
): { since: string | null; seen: Record<string, string> } {
  let since = state.since;
  for (const row of rows) {
    if (row.modifiedOn !== undefined && (since === null || Date.parse(row.modifiedOn) > Date.parse(since))) {
      since = row.modifiedOn;
    }
  }
  if (since === null) return { since, seen: {} };
  const floor = Date.parse(since) - overlapMs;
  const recent = new Map<string, { version: string; at: number }>();
  for (const [id, entry] of Object.entries(state.seen)) {
    const [version, at] = entry.split('@');
    if (Number(at) >= floor) recent.set(id, { version, at: Number(at) });
  }
  for (const row of rows) {
    const at = row.modifiedOn === undefined ? NaN : Date.parse(row.modifiedOn);
    if (at >= floor) recent.set(row.id, { version: row.version, at });
  }
  const kept = [...recent.entries()].sort((a, b) => b[1].at - a[1].at).slice(0, limit);
  return { since, seen: Object.fromEntries(kept.map(([id, { version, at }]) => [id, `${version}@${at}`])) };
}

/** Whether this exact version of the row was already delivered within the overlap window. */
export function alreadySeen(seen: Record<string, string>, id: string, version: string): boolean {
  const entry = seen[id];
  return entry !== undefined && entry.split('@')[0] === version;
}
