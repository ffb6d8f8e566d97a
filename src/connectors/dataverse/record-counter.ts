import type { ChangeCount } from '../connector.ts';
import { CrmError } from '../crm-error.ts';
import type { ChangeCursor } from './change-cursor.ts';
import type { DataverseHttp } from './dataverse-http.ts';
import { getJson } from './metadata-reader.ts';
import type { EntityShape } from './record-mapper.ts';

/** `$count` stops at 5,000 rows (reference §1.2: "up to 5,000 for standard tables"). */
const countLimit = 5000;

/**
 * `GET RetrieveTotalRecordCount(EntityNames=@p1)?@p1=["account","contact"]`: one request for every entity, each
 * count from Dataverse's snapshot "within the last 24 hours" (the function's reference page) — the size of a
 * table, not a live figure. An entity the answer leaves out is absent from the map.
 */
export async function fetchTotalRecordCounts(
  http: DataverseHttp,
  entities: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (entities.length === 0) return counts;
  const body = await getJson<{ EntityRecordCountCollection?: { Keys?: unknown; Values?: unknown } }>(
    http,
    `RetrieveTotalRecordCount(EntityNames=@p1)?@p1=${encodeURIComponent(JSON.stringify(entities))}`,
    signal,
  );
  const keys = body.EntityRecordCountCollection?.Keys;
  const values = body.EntityRecordCountCollection?.Values;
  if (!Array.isArray(keys) || !Array.isArray(values) || keys.length !== values.length) {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      'RetrieveTotalRecordCount answered without matching Keys and Values.',
    );
  }
  keys.forEach((key, i) => {
    const value = Number(values[i]);
    if (typeof key === 'string' && Number.isSafeInteger(value) && value >= 0) counts.set(key, value);
  });
  return counts;
}

/**
 * How many changes reading from `cursor` would deliver now (B6.5 "pending from the CRM"):
 * - a delta link: `GET <set>/$count?$deltatoken=<token>` — the number of changes since the token, deletes
 *   included (reference §2);
 * - a `modifiedon` watermark: `GET <set>/$count?$filter=modifiedon gt <since>` — rows modified after the newest
 *   one applied (deletes are not seen this way), at most 5,000 (`atLeast` then);
 * - a read under way (`delta-page`): undefined — its remaining pages cannot be counted.
 */
export async function countChangesAfter(
  http: DataverseHttp,
  shape: EntityShape,
  cursor: ChangeCursor,
  signal?: AbortSignal,
): Promise<ChangeCount | undefined> {
  const set = shape.entity.entitySetName;
  if (cursor.mode === 'delta') {
    const token = /[?&]\$deltatoken=([^&]*)/.exec(cursor.link)?.[1];
    if (token === undefined) return undefined;
    const count = await getCount(http, `${set}/$count?$deltatoken=${token}`, signal);
    return { count, atLeast: false, basis: 'delta-token' };
  }
  if (cursor.mode === 'watermark') {
    const filter = cursor.since === null ? '' : `?$filter=modifiedon gt ${cursor.since}`;
    const count = await getCount(http, `${set}/$count${filter}`, signal);
    return { count, atLeast: count >= countLimit, basis: 'modifiedon' };
  }
  return undefined;
}

async function getCount(http: DataverseHttp, path: string, signal?: AbortSignal): Promise<number> {
  const response = await http.send({ method: 'GET', path, signal });
  const count = Number(response.text.trim());
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      `Dataverse answered '${response.text.slice(0, 40)}' to a count.`,
    );
  }
  return count;
}
