import { odataError } from '../http/dataverse-error.ts';
import {
  jsonResponse,
  textResponse,
  type EmulatorRequest,
  type EmulatorResponse,
  type Usage,
} from '../http/emulator-request.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import { compileRowSerializer } from '../records/record-serializer.ts';
import { parseDate } from '../records/value-codec.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row } from '../state/row.ts';
import type { Table } from '../state/table.ts';
import { compileExpansion } from './expansion.ts';
import { compileFilter, parseOrderBy, type PropertyAccessor, type Predicate } from './filter-compiler.ts';
import { cookieGuid, decodeSkipToken, encodeSkipToken, type PagingCookie } from './paging-cookie.ts';
import type { QueryOptions } from './query-options.ts';
import { recordSchema } from './record-schema.ts';
import { contextFragment, selectColumns } from './select-columns.ts';
import { queryChanges } from '../tracking/change-tracking.ts';

export interface QueryContext {
  readonly state: EmulatorState;
  readonly fls: FieldSecurity;
  readonly request: EmulatorRequest;
  readonly entity: EntityDefinition;
  readonly table: Table;
  readonly options: QueryOptions;
  readonly usage: Usage;
  readonly sortCache: SortCache;
  /**
   * A filtered collection (`accounts(<id>)/contact_customer_accounts`): only rows passing `test` exist for
   * this query; `key` tells the sort cache apart, `path` is the resource path next links repeat.
   */
  readonly scope?: { readonly key: string; readonly test: Predicate<Row>; readonly path: string };
}

/** Dataverse's maximum (and default) page size (reference §1.1). */
export const maxPageSize = 5000;
/** `$count` and `/$count` stop counting here (reference §1.2). */
const countLimit = 5000;

export function pageSizeOf(request: EmulatorRequest): { size: number; applied: boolean } {
  const requested = request.prefer.maxPageSize;
  return requested !== undefined && requested > 0 && requested <= maxPageSize
    ? { size: requested, applied: true }
    : { size: maxPageSize, applied: false };
}

/** GET on an entity set: filter, order, page (or hand over to change tracking). */
export function queryCollection(ctx: QueryContext): EmulatorResponse {
  const { request, options, entity, table } = ctx;
  const cookie = options.skiptoken === undefined ? undefined : decodeSkipToken(options.skiptoken);
  if (request.prefer.trackChanges || options.deltatoken !== undefined || cookie?.tracking)
    return queryChanges(ctx, cookie);
  const hidden = ctx.fls.unreadable(request.caller, entity);
  const columns = selectColumns(entity, options.select);
  const schema = recordSchema(ctx.state, entity, hidden, request.caller.userId);
  const predicate = scoped(
    ctx,
    options.filter === undefined ? undefined : compileFilter(options.filter, schema),
  );
  const expansion = options.expand === undefined ? undefined : compileExpansion(ctx, entity, options.expand);
  const order = orderOf(entity, options.orderby, schema);
  const page = pageSizeOf(request);
  const limit = !page.applied && options.top !== undefined ? Math.min(options.top, maxPageSize) : page.size;
  const paged = page.applied || options.top === undefined;

  const rows =
    order.items.length === 0
      ? pageInKeyOrder(table, predicate, cookie, limit + 1)
      : pageInSortOrder(ctx, predicate, order, cookie, limit + 1);
  const more = paged && rows.length > limit;
  if (rows.length > limit) rows.length = limit;
  ctx.usage.rowsRead += rows.length;

  const plain = compileRowSerializer(ctx.state, entity, columns, request.annotations, hidden);
  const serialize =
    expansion === undefined ? plain : (row: Row) => plain(row).slice(0, -1) + expansion.render(row) + '}';
  const headers: Record<string, string> = {};
  const applied: string[] = [];
  if (page.applied) applied.push(`odata.maxpagesize=${page.size}`);
  if (request.prefer.includeAnnotations !== undefined)
    applied.push(`odata.include-annotations="${request.prefer.includeAnnotations}"`);
  if (applied.length > 0) headers['Preference-Applied'] = applied.join(',');

  const context = ctx.scope?.path ?? entity.entitySetName;
  let body = `{"@odata.context":"${request.baseUrl}$metadata#${contextFragment(entity, options.select, expansion?.contextItems, context)}"`;
  if (options.count || request.annotations.includes('Microsoft.Dynamics.CRM.totalrecordcount')) {
    const total = options.count ? countMatching(table, predicate, countLimit + 1) : -1;
    if (options.count) body += `,"@odata.count":${Math.min(total, countLimit)}`;
    if (request.annotations.includes('Microsoft.Dynamics.CRM.totalrecordcount')) {
      body += `,"@Microsoft.Dynamics.CRM.totalrecordcount":${total === -1 ? -1 : Math.min(total, countLimit)}`;
      body += `,"@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded":${total > countLimit}`;
    }
  }
  body += ',"value":[';
  for (let i = 0; i < rows.length; i++) body += (i === 0 ? '' : ',') + serialize(rows[i]);
  body += ']';
  if (more) {
    const next = nextCookie(cookie, order, rows, false, {});
    body += `,"@odata.nextLink":${JSON.stringify(nextLink(request, options.linkQuery, next, ctx.scope?.path))}`;
  }
  return jsonResponse(200, body + '}', headers);
}

/** GET `<set>/$count`: plain-text number of matching rows, capped like `$count` (reference §1.2). */
export function countCollection(ctx: QueryContext): EmulatorResponse {
  const { request, options, entity, table } = ctx;
  if (options.deltatoken !== undefined) return queryChanges(ctx, undefined, true);
  const hidden = ctx.fls.unreadable(request.caller, entity);
  const schema = recordSchema(ctx.state, entity, hidden, request.caller.userId);
  const predicate = scoped(
    ctx,
    options.filter === undefined ? undefined : compileFilter(options.filter, schema),
  );
  return textResponse(
    200,
    String(Math.min(countMatching(table, predicate, countLimit), countLimit)),
    'text/plain',
  );
}

/** The query's filter combined with the filtered collection's scope, if any. */
function scoped(ctx: QueryContext, predicate: Predicate<Row> | undefined): Predicate<Row> | undefined {
  const scope = ctx.scope?.test;
  if (!scope) return predicate;
  return predicate ? (row) => scope(row) && predicate(row) : scope;
}

export function nextLink(
  request: EmulatorRequest,
  linkQuery: string,
  cookie: PagingCookie,
  path?: string,
): string {
  const query = linkQuery === '' ? '' : `${linkQuery}&`;
  const set = path ?? request.path.split('/')[0];
  return `${request.baseUrl}${set}?${query}$skiptoken=${encodeSkipToken(cookie)}`;
}

function countMatching(table: Table, predicate: Predicate<Row> | undefined, stopAt: number): number {
  if (!predicate) return table.size;
  let count = 0;
  for (const row of table.rows.values()) {
    if (predicate(row) && ++count >= stopAt) break;
  }
  return count;
}

/** Default order (primary key): walk the key index from the cookie's last id. */
export function pageInKeyOrder(
  table: Table,
  predicate: Predicate<Row> | undefined,
  cookie: PagingCookie | undefined,
  take: number,
): Row[] {
  const pkName = table.entity.primaryId;
  const lastText = cookie?.columns.find((c) => c.name === pkName)?.last;
  const last = lastText ? normalizeGuid(lastText) : undefined;
  if (lastText && !last) throw odataError(`The $skiptoken value is not a valid paging cookie.`);
  const rows: Row[] = [];
  for (const [id, row] of table.byId.entries(last)) {
    if (id === last) continue;
    if (predicate && !predicate(row)) continue;
    rows.push(row);
    if (rows.length >= take) break;
  }
  return rows;
}

interface OrderItem {
  readonly path: string;
  readonly descending: boolean;
  readonly accessor: PropertyAccessor<Row>;
}

interface Order {
  readonly items: readonly OrderItem[];
  readonly pk: number;
  readonly pkName: string;
}

function orderOf(
  entity: EntityDefinition,
  text: string | undefined,
  schema: ReturnType<typeof recordSchema>,
): Order {
  const items =
    text === undefined
      ? []
      : parseOrderBy(text).map((item) => ({ ...item, accessor: schema.property(item.path) }));
  return { items, pk: entity.byName.get(entity.primaryId)!.index, pkName: entity.primaryId };
}

type SortKey = unknown[];

function sortKey(order: Order, row: Row): SortKey {
  const key: unknown[] = order.items.map((item) => {
    const value = item.accessor.get(row);
    return typeof value === 'string' ? value.toLowerCase() : value;
  });
  key.push(row[order.pk]);
  return key;
}

function compareKeys(order: Order, a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    let c: number;
    // SQL Server sorts nulls first in ascending order.
    if (x === null || x === undefined) c = y === null || y === undefined ? 0 : -1;
    else if (y === null || y === undefined) c = 1;
    else if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else if (typeof x === 'boolean' && typeof y === 'boolean') c = Number(x) - Number(y);
    else c = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    if (c !== 0) return i < order.items.length && order.items[i].descending ? -c : c;
  }
  return 0;
}

/** Sorted results per (query, data version), so paging a large ordered result sorts it once. */
export class SortCache {
  private readonly entries = new Map<string, { rows: Row[]; keys: SortKey[] }>();

  get(key: string, build: () => { rows: Row[]; keys: SortKey[] }): { rows: Row[]; keys: SortKey[] } {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = build();
      this.entries.set(key, entry);
      if (this.entries.size > 4) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }

  clear(): void {
    this.entries.clear();
  }
}

function pageInSortOrder(
  ctx: QueryContext,
  predicate: Predicate<Row> | undefined,
  order: Order,
  cookie: PagingCookie | undefined,
  take: number,
): Row[] {
  const { table, options, request, state } = ctx;
  const cacheKey = [
    table.entity.logicalName,
    ctx.scope?.key ?? '',
    options.filter,
    options.orderby,
    request.caller.userId,
    state.currentVersion,
  ].join('\u0000');
  const sorted = ctx.sortCache.get(cacheKey, () => {
    const rows: Row[] = [];
    for (const row of table.rows.values()) if (!predicate || predicate(row)) rows.push(row);
    const keyed = rows.map((row) => ({ row, key: sortKey(order, row) }));
    keyed.sort((a, b) => compareKeys(order, a.key, b.key));
    return { rows: keyed.map((k) => k.row), keys: keyed.map((k) => k.key) };
  });
  let start = 0;
  if (cookie) {
    const after = cookieKey(order, cookie);
    let low = 0;
    let high = sorted.keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(order, sorted.keys[mid], after) <= 0) low = mid + 1;
      else high = mid;
    }
    start = low;
  }
  return sorted.rows.slice(start, start + take);
}

/** The sort key of the last row of the previous page, read back from the cookie's `last` values. */
function cookieKey(order: Order, cookie: PagingCookie): SortKey {
  const invalid = () => odataError(`The $skiptoken value is not a valid paging cookie.`);
  const key: unknown[] = order.items.map((item) => {
    const column = cookie.columns.find((c) => c.name === item.path);
    if (!column) throw invalid();
    if (column.last === null) return null;
    switch (item.accessor.kind) {
      case 'number':
        return Number(column.last);
      case 'boolean':
        return column.last === '1';
      case 'date':
        return parseDate(column.last) ?? null;
      case 'guid':
        return normalizeGuid(column.last) ?? null;
      default:
        return column.last.toLowerCase();
    }
  });
  const pk = cookie.columns.find((c) => c.name === order.pkName)?.last;
  const id = pk ? normalizeGuid(pk) : undefined;
  if (!id) throw invalid();
  key.push(id);
  return key;
}

function cookieText(item: OrderItem | undefined, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (item?.accessor.kind ?? 'guid') {
    case 'guid':
      return cookieGuid(String(value));
    case 'boolean':
      return value ? '1' : '0';
    case 'date':
      return new Date(value as number).toISOString().slice(0, 19) + 'Z';
    default:
      return String(value);
  }
}

/** The cookie for the page after `rows` (one element per order column, then the primary key). */
export function nextCookie(
  previous: PagingCookie | undefined,
  order: Order | { items: readonly OrderItem[]; pk: number; pkName: string },
  rows: readonly Row[],
  tracking: boolean,
  attributes: Record<string, string>,
): PagingCookie {
  const first = rows[0];
  const last = rows[rows.length - 1];
  const columns = order.items.map((item) => ({
    name: item.path,
    last: cookieText(item, item.accessor.get(last)),
    first: cookieText(item, item.accessor.get(first)),
  }));
  columns.push({
    name: order.pkName,
    last: cookieText(undefined, last[order.pk]),
    first: cookieText(undefined, first[order.pk]),
  });
  return { pageNumber: (previous?.pageNumber ?? 1) + 1, tracking, columns, attributes };
}
