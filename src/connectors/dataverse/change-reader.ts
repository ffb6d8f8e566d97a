import type { ChangePage } from '../connector.ts';
import { CrmError, isCrmError } from '../crm-error.ts';
import {
  advanceWatermark,
  alreadySeen,
  encodeCursor,
  relativeLink,
  sameColumns,
  withSelect,
  type ChangeCursor,
} from './change-cursor.ts';
import type { DataverseHttp } from './dataverse-http.ts';
import { readPages, type ODataPage } from './page-reader.ts';
import { readPreferences, toRecord, wireColumns, type EntityShape } from './record-mapper.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

/**
 * Reading what changed (B2.3–B2.5). With change tracking: `Prefer: odata.track-changes`, the initial load paged
 * with nextLinks and the delta link on the last page; later reads follow the delta link (upserts, then
 * `$deletedEntity` rows). Without it: a `modifiedon` watermark re-read with an overlap, ordered by
 * (modifiedon, id), de-duplicated by ETag.
 */
export interface ChangeReadContext {
  readonly http: DataverseHttp;
  readonly shape: EntityShape;
  readonly pageSize: number;
  /** Watermark overlap: how far back each re-read starts, for rows committed late with an older modifiedon. */
  readonly overlapMs: number;
  readonly signal?: AbortSignal;
}

export function readChangePages(
  context: ChangeReadContext,
  select: readonly string[],
  cursor: ChangeCursor | undefined,
): AsyncGenerator<ChangePage> {
  return context.shape.entity.changeTrackingEnabled
    ? readDelta(context, select, cursor)
    : readWatermark(context, select, cursor);
}

async function* readDelta(
  context: ChangeReadContext,
  select: readonly string[],
  cursor: ChangeCursor | undefined,
): AsyncGenerator<ChangePage> {
  const { shape } = context;
  const columns = wireColumns(shape, select);
  let path = `${shape.entity.entitySetName}?$select=${columns.join(',')}`;
  const rebased = cursor?.mode === 'delta' && !sameColumns(cursor.select, select);
  if (cursor?.mode === 'delta') {
    path = rebased ? withSelect(cursor.link, columns) : cursor.link;
  } else if (cursor?.mode === 'delta-page' && sameColumns(cursor.select, select)) {
    path = cursor.link;
  }
  // A `delta-page` with other columns restarts the tracked load: skiptokens are not ours to edit.
  const pages = readPages(
    {
      http: context.http,
      path,
      prefer: ['odata.track-changes', `odata.maxpagesize=${context.pageSize}`, readPreferences],
      signal: context.signal,
    },
    (page) => toChangePage(context, select, page),
  );
  yield* rebased ? refusedRebaseExpires(pages) : pages;
}

/** One tracked page as the engine takes it: upserts, deleted ids, and the cursor to store after applying it. */
function toChangePage(context: ChangeReadContext, select: readonly string[], page: ODataPage): ChangePage {
  const { http, shape } = context;
  const upserts: CrmRecord[] = [];
  const deletes: string[] = [];
  for (const row of page.value) {
    const rowContext = row['@odata.context'];
    if (
      row.reason === 'deleted' ||
      (typeof rowContext === 'string' && rowContext.endsWith('$deletedEntity'))
    ) {
      deletes.push(String(row.id));
    } else {
      upserts.push(toRecord(shape, row, page));
    }
  }
  const link = page.nextLink ?? page.deltaLink;
  if (link === undefined) {
    throw new Error(
      `Dataverse ended a change-tracking read of ${shape.entity.logicalName} without a delta link.`,
    );
  }
  const next: ChangeCursor = {
    v: 1,
    mode: page.nextLink !== undefined ? 'delta-page' : 'delta',
    link: relativeLink(link, http.dataPath),
    select: [...select],
  };
  return { upserts, deletes, cursor: encodeCursor(next), final: page.nextLink === undefined };
}

async function* readWatermark(
  context: ChangeReadContext,
  select: readonly string[],
  cursor: ChangeCursor | undefined,
): AsyncGenerator<ChangePage> {
  const { http, shape } = context;
  const pk = shape.entity.primaryIdAttribute;
  const columns = [...new Set([...wireColumns(shape, select), 'modifiedon'])];
  let state =
    cursor?.mode === 'watermark' ? { since: cursor.since, seen: cursor.seen } : { since: null, seen: {} };
  const filter =
    state.since === null
      ? ''
      : `&$filter=modifiedon ge ${new Date(Date.parse(state.since) - context.overlapMs).toISOString().replace(/\.\d+Z$/, 'Z')}`;
  const pages = readPages(
    {
      http,
      path: `${shape.entity.entitySetName}?$select=${columns.join(',')}${filter}&$orderby=modifiedon asc,${pk} asc`,
      prefer: [`odata.maxpagesize=${context.pageSize}`, readPreferences],
      signal: context.signal,
    },
    (page) => ({
      records: page.value.map((row) => toRecord(shape, row, page)),
      final: page.nextLink === undefined,
    }),
  );
  for await (const { records, final } of pages) {
    const versionOf = (record: CrmRecord) => record.etag ?? String(record.values.modifiedon ?? '');
    const fresh = records.filter((record) => !alreadySeen(state.seen, record.id, versionOf(record)));
    state = advanceWatermark(
      state,
      records.map((record) => ({
        id: record.id,
        version: versionOf(record),
        modifiedOn: typeof record.values.modifiedon === 'string' ? record.values.modifiedon : undefined,
      })),
      context.overlapMs,
    );
    const next: ChangeCursor = {
      v: 1,
      mode: 'watermark',
      since: state.since,
      seen: state.seen,
      select: [...select],
    };
    yield { upserts: fresh, deletes: [], cursor: encodeCursor(next), final };
  }
}

/**
 * A server that refuses a delta link rebased onto new columns (for a reason other than a missing attribute or
 * a transient failure) leaves the token unusable: treat it as expired so the engine reconciles (B2.5).
 */
async function* refusedRebaseExpires<T>(pages: AsyncGenerator<T>): AsyncGenerator<T> {
  let first = true;
  try {
    for await (const page of pages) {
      first = false;
      yield page;
    }
  } catch (error) {
    if (first && isCrmError(error) && error.errorClass === 'record') {
      throw new CrmError(
        { errorClass: 'expired-cursor', reason: 'delta-expired' },
        `Dataverse refused the change-tracking link with the new column list (${error.message}); reconciling.`,
        { crmCode: error.crmCode, httpStatus: error.httpStatus, cause: error },
      );
    }
    throw error;
  }
}
