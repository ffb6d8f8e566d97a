import { DataverseError, dataverseCodes, odataError } from '../http/dataverse-error.ts';
import { jsonResponse, textResponse, type EmulatorResponse } from '../http/emulator-request.ts';
import { compileRowSerializer } from '../records/record-serializer.ts';
import type { Row } from '../state/row.ts';
import type { Tombstone } from '../state/table.ts';
import {
  nextCookie,
  nextLink,
  pageInKeyOrder,
  pageSizeOf,
  type QueryContext,
} from '../query/collection-query.ts';
import type { PagingCookie } from '../query/paging-cookie.ts';
import { contextFragment, selectColumns } from '../query/select-columns.ts';
import { encodeDeltaToken, parseDeltaToken } from './delta-token.ts';

/**
 * Change tracking (reference §2). The initial `Prefer: odata.track-changes` load pages in key order and
 * ends with a delta link whose token is the version at the load's start. Following a delta link returns
 * rows changed after the token (version order, full selected columns), then `$deletedEntity` rows from
 * tombstones, up to the version current when the delta started; large deltas page with nextLinks.
 */
export function queryChanges(
  ctx: QueryContext,
  cookie: PagingCookie | undefined,
  countOnly = false,
): EmulatorResponse {
  const { entity, options, request, table, state } = ctx;
  if (!entity.changeTracking) {
    throw odataError(
      `Change tracking is not enabled for the entity '${entity.logicalName}'. Enable change tracking for the entity and retry.`,
    );
  }
  for (const [option, present] of [
    ['filter', options.filter],
    ['orderby', options.orderby],
    ['expand', options.expand],
    ['top', options.top],
  ] as const) {
    if (present !== undefined)
      throw odataError(`The "$${option}" query parameter isn't supported when Change Tracking is enabled.`);
  }
  const hidden = ctx.fls.unreadable(request.caller, entity);
  const columns = selectColumns(entity, options.select);
  const serialize = compileRowSerializer(state, entity, columns, request.annotations, hidden);
  const page = pageSizeOf(request);
  const applied = ['odata.track-changes'];
  if (page.applied) applied.push(`odata.maxpagesize=${page.size}`);
  const headers = { 'Preference-Applied': applied.join(',') };
  const context = `${request.baseUrl}$metadata#${contextFragment(entity, options.select)}`;
  const deltaLink = (version: number) => {
    const query = options.linkQuery === '' ? '' : `${options.linkQuery}&`;
    return `${request.baseUrl}${entity.entitySetName}?${query}$deltatoken=${encodeDeltaToken(version, new Date())}`;
  };
  const pk = { items: [], pk: table.pk, pkName: entity.primaryId };

  if (options.deltatoken === undefined) {
    // Initial load: key order, snapshot version carried in the cookie so the last page's token covers
    // every change made while the client paged.
    const snapshot = Number(cookie?.attributes.snapshot ?? state.currentVersion);
    const rows = pageInKeyOrder(table, undefined, cookie, page.size + 1);
    const more = rows.length > page.size;
    if (more) rows.length = page.size;
    ctx.usage.rowsRead += rows.length;
    let body = `{"@odata.context":"${context}","value":[${rows.map(serialize).join(',')}]`;
    body += more
      ? `,"@odata.nextLink":${JSON.stringify(nextLink(request, options.linkQuery, nextCookie(cookie, pk, rows, true, { snapshot: String(snapshot) })))}`
      : `,"@odata.deltaLink":${JSON.stringify(deltaLink(snapshot))}`;
    return jsonResponse(200, body + '}', headers);
  }

  const token = parseDeltaToken(options.deltatoken);
  if (token.version <= table.expiredThrough) {
    throw new DataverseError(
      400,
      dataverseCodes.expiredVersionStamp,
      'Version stamp associated with the client has expired. Please perform a full sync.',
    );
  }
  const end = Number(cookie?.attributes.end ?? state.currentVersion);
  const lastRow = Number(cookie?.columns.find((c) => c.name === 'versionnumber')?.last ?? token.version);
  const lastDeleted = Number(cookie?.columns.find((c) => c.name === 'deleted')?.last ?? token.version);
  const rows: Row[] = [];
  const take = countOnly ? Number.MAX_SAFE_INTEGER : page.size + 1;
  for (const [version, row] of table.byVersion.entries(lastRow + 1)) {
    if (version > end || rows.length >= take) break;
    rows.push(row);
  }
  const deleted: Tombstone[] = [];
  if (rows.length < take) {
    for (const tombstone of table.tombstonesBetween(Math.max(token.version, lastDeleted), end)) {
      const current = table.get(tombstone.id);
      // A row deleted and then re-created (client-supplied id) before `end` is reported as the new row only.
      if (current && (current[table.versionIndex] as number) <= end) continue;
      deleted.push(tombstone);
      if (rows.length + deleted.length >= take) break;
    }
  }
  if (countOnly) return textResponse(200, String(rows.length + deleted.length), 'text/plain');
  const more = rows.length + deleted.length > page.size;
  if (more) {
    if (deleted.length > 0) deleted.pop();
    else rows.pop();
  }
  ctx.usage.rowsRead += rows.length + deleted.length;
  const items = rows.map(serialize);
  const deletedContext = `${request.baseUrl}$metadata#${entity.entitySetName}/$deletedEntity`;
  for (const tombstone of deleted)
    items.push(`{"@odata.context":"${deletedContext}","id":"${tombstone.id}","reason":"deleted"}`);
  let body = `{"@odata.context":"${context}/$delta","value":[${items.join(',')}]`;
  if (more) {
    const next: PagingCookie = {
      pageNumber: (cookie?.pageNumber ?? 1) + 1,
      tracking: true,
      columns: [
        {
          name: 'versionnumber',
          last: String(rows.length > 0 ? (rows[rows.length - 1][table.versionIndex] as number) : lastRow),
          first: null,
        },
        {
          name: 'deleted',
          last: String(deleted.length > 0 ? deleted[deleted.length - 1].version : lastDeleted),
          first: null,
        },
      ],
      attributes: { end: String(end) },
    };
    // The delta link's own token stays in the next link so every page is checked against expiry.
    const query = `${options.linkQuery === '' ? '' : `${options.linkQuery}&`}$deltatoken=${encodeURIComponent(options.deltatoken)}`;
    body += `,"@odata.nextLink":${JSON.stringify(nextLink(request, query, next))}`;
  } else {
    body += `,"@odata.deltaLink":${JSON.stringify(deltaLink(end))}`;
  }
  return jsonResponse(200, body + '}', headers);
}
