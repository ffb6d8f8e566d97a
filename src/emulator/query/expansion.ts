import { odataError, unknownProperty } from '../http/dataverse-error.ts';
import type { EmulatorRequest, Usage } from '../http/emulator-request.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import { oneToManyOf, pointsAt, singleValued, type OneToMany } from '../metadata/relationships.ts';
import { compileRowSerializer, lookupTypeColumn } from '../records/record-serializer.ts';
import { assertTablePrivilege, type FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row } from '../state/row.ts';
import { parseExpand, type ExpandItem } from './expand-options.ts';
import { compileFilter, parseOrderBy, type Predicate } from './filter-compiler.ts';
import { cookieGuid, encodeSkipToken } from './paging-cookie.ts';
import { recordSchema } from './record-schema.ts';
import { selectColumns } from './select-columns.ts';

export interface ExpandContext {
  readonly state: EmulatorState;
  readonly fls: FieldSecurity;
  readonly request: EmulatorRequest;
  readonly usage: Usage;
}

/** A compiled `$expand`: the `@odata.context` select-list items and the properties to add to each row. */
export interface Expansion {
  /** `primarycontactid(fullname)`, `Account_Tasks(subject)`, in request order. */
  readonly contextItems: readonly string[];
  /** `,"primarycontactid":{…},"Account_Tasks":[…],"Account_Tasks@odata.nextLink":"…"` for one row. */
  readonly render: (row: Row) => string;
}

/** Dataverse's page limit for expanded collections (join-tables: "up to 5,000 related records"). */
const maxRelated = 5000;

const onlySelectAndFilter =
  'Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.';

/**
 * `$expand` on records and queries (join-tables, reference §1): single-valued navigation properties become a
 * nested object (selected columns + primary key, no ETag; `null` when the lookup is empty), collection-valued
 * ones an array plus `<property>@odata.nextLink`. As Learn describes, the shape depends on whether any
 * `$expand` is nested anywhere in the query:
 *
 * - no nesting: related rows carry their ETag and the relationship's lookup column, `$top`/`$orderby` apply,
 *   no paging (up to 5,000), and the nextLink — always present — is the filtered collection
 *   (`accounts(<id>)/contact_customer_accounts?$select=fullname`) without paging information;
 * - nesting: `Prefer: odata.maxpagesize` pages every expanded collection (nextLink with a `$skiptoken` only
 *   when more rows exist), rows carry neither ETag nor the lookup, and `$top`/`$orderby` are refused.
 *
 * Field-level security and table privileges apply to the related table as to a direct read.
 */
export function compileExpansion(ctx: ExpandContext, entity: EntityDefinition, text: string): Expansion {
  const items = parseExpand(text);
  const nested = items.some((item) => item.expand.length > 0);
  return compileItems(ctx, entity, items, nested);
}

function compileItems(
  ctx: ExpandContext,
  entity: EntityDefinition,
  items: readonly ExpandItem[],
  nested: boolean,
): Expansion {
  const parts = items.map((item) => compileItem(ctx, entity, item, nested));
  return {
    contextItems: parts.map((part) => part.context),
    render: (row) => {
      let text = '';
      for (const part of parts) text += part.render(row);
      return text;
    },
  };
}

interface CompiledItem {
  readonly context: string;
  readonly render: (row: Row) => string;
}

function compileItem(
  ctx: ExpandContext,
  entity: EntityDefinition,
  item: ExpandItem,
  nested: boolean,
): CompiledItem {
  const single = singleValued(entity, item.property);
  if (single) return compileSingle(ctx, entity, item, single, nested);
  const relationship = oneToManyOf(ctx.state.catalog, entity.logicalName).get(item.property);
  if (relationship) {
    if (item.ref) throw odataError('Expand with $ref is only supported on lookup type navigation property.');
    return compileCollection(ctx, entity, item, relationship, nested);
  }
  if (entity.byName.has(item.property) || /^_.+_value$/.test(item.property))
    throw odataError(
      `Property '${item.property}' on type 'Microsoft.Dynamics.CRM.${entity.logicalName}' is not a navigation ` +
        'property or complex property. Only navigation properties can be expanded.',
    );
  throw unknownProperty(item.property, entity.logicalName);
}

function contextOf(item: ExpandItem, inner: readonly string[]): string {
  if (item.ref) return `${item.property}/$ref()`;
  return `${item.property}(${[...(item.select ?? []), ...inner].join(',')})`;
}

function compileSingle(
  ctx: ExpandContext,
  entity: EntityDefinition,
  item: ExpandItem,
  single: NonNullable<ReturnType<typeof singleValued>>,
  nested: boolean,
): CompiledItem {
  if (item.top !== undefined || item.orderby !== undefined) throw odataError(onlySelectAndFilter);
  const { state, request } = ctx;
  const index = single.attribute.index;
  const typeColumn =
    lookupTypeColumn(entity, single.attribute) ??
    (single.attribute.type === 'Owner' ? entity.byName.get('owneridtype')?.index : undefined);
  const name = JSON.stringify(item.property);
  const per = new Map<string, { render: (row: Row) => string; set: string }>();
  let inner: readonly string[] = [];
  for (const target of single.targets) {
    const table = state.tables.get(target);
    if (!table) continue;
    const related = table.entity;
    if (item.ref) {
      per.set(target, {
        set: related.entitySetName,
        render: (row) =>
          `{"@odata.id":${JSON.stringify(`${request.baseUrl}${related.entitySetName}(${row[table.pk] as string})`)}}`,
      });
      continue;
    }
    assertTablePrivilege(request.caller, related, 'Read');
    const hidden = ctx.fls.unreadable(request.caller, related);
    const serialize = compileRowSerializer(
      state,
      related,
      selectColumns(related, item.select),
      request.annotations,
      hidden,
      { etag: false },
    );
    const filter = relatedFilter(ctx, related, hidden, item.filter);
    const expansion = compileItems(ctx, related, item.expand, nested);
    inner = expansion.contextItems;
    per.set(target, {
      set: related.entitySetName,
      render: (row) => (filter && !filter(row) ? 'null' : withExtra(serialize(row), expansion.render(row))),
    });
  }
  return {
    context: contextOf(item, inner),
    render: (row) => {
      const id = row[index];
      if (typeof id !== 'string') return `,${name}:null`;
      const target = typeColumn === undefined ? single.targets[0] : String(row[typeColumn]);
      const renderer = per.get(target);
      const related = renderer === undefined ? undefined : state.tables.get(target)?.get(id);
      if (!renderer || !related) return `,${name}:null`;
      ctx.usage.rowsRead += 1;
      return `,${name}:${renderer.render(related)}`;
    },
  };
}

function compileCollection(
  ctx: ExpandContext,
  entity: EntityDefinition,
  item: ExpandItem,
  relationship: OneToMany,
  nested: boolean,
): CompiledItem {
  if (nested && (item.top !== undefined || item.orderby !== undefined)) throw odataError(onlySelectAndFilter);
  const { state, request } = ctx;
  const related = relationship.referencing;
  const table = state.table(related.logicalName);
  assertTablePrivilege(request.caller, related, 'Read');
  const hidden = ctx.fls.unreadable(request.caller, related);
  const columns = selectColumns(related, item.select);
  // Without nesting Dataverse adds the relationship's lookup to each related row (join-tables example).
  if (!nested && !columns.includes(relationship.attribute)) columns.push(relationship.attribute);
  const serialize = compileRowSerializer(state, related, columns, request.annotations, hidden, {
    etag: !nested,
  });
  const filter = relatedFilter(ctx, related, hidden, item.filter);
  const order = item.orderby === undefined ? undefined : orderOf(ctx, related, hidden, item.orderby);
  const expansion = compileItems(ctx, related, item.expand, nested);
  const pageSize =
    nested && request.prefer.maxPageSize !== undefined
      ? Math.min(request.prefer.maxPageSize, maxRelated)
      : maxRelated;
  const limit = Math.min(item.top ?? maxRelated, pageSize);
  const matches = pointsAt(relationship);
  const lookupIndex = relationship.attribute.index;
  const pk = table.pk;
  // Related rows by the id they point at, built once per request in primary-key order (the default order).
  let byParent: Map<string, Row[]> | undefined;
  const childrenOf = (id: string): Row[] => {
    if (!byParent) {
      byParent = new Map();
      for (const child of table.byId.values()) {
        const parent = child[lookupIndex];
        if (typeof parent !== 'string' || !matches(child, parent)) continue;
        let list = byParent.get(parent);
        if (!list) byParent.set(parent, (list = []));
        list.push(child);
      }
    }
    return byParent.get(id) ?? [];
  };
  const name = JSON.stringify(item.property);
  const parentPk = entity.byName.get(entity.primaryId)!.index;
  return {
    context: contextOf(item, expansion.contextItems),
    render: (row) => {
      const id = row[parentPk] as string;
      let rows = childrenOf(id);
      if (filter) rows = rows.filter(filter);
      if (order) rows = [...rows].sort(order);
      const more = rows.length > limit;
      rows = rows.slice(0, limit);
      ctx.usage.rowsRead += rows.length;
      let text = `,${name}:[`;
      for (let i = 0; i < rows.length; i++)
        text += (i === 0 ? '' : ',') + withExtra(serialize(rows[i]), expansion.render(rows[i]));
      text += ']';
      const link = `${request.baseUrl}${entity.entitySetName}(${id})/${item.property}`;
      const query = item.query === '' ? '' : `?${item.query}`;
      if (!nested)
        return `${text},${JSON.stringify(`${item.property}@odata.nextLink`)}:${JSON.stringify(link + query)}`;
      if (!more) return text;
      const first = rows[0][pk] as string;
      const last = rows[rows.length - 1][pk] as string;
      const skiptoken = encodeSkipToken({
        pageNumber: 2,
        tracking: false,
        columns: [{ name: related.primaryId, last: cookieGuid(last), first: cookieGuid(first) }],
        attributes: {},
      });
      const separator = query === '' ? '?' : '&';
      return `${text},${JSON.stringify(`${item.property}@odata.nextLink`)}:${JSON.stringify(`${link}${query}${separator}$skiptoken=${skiptoken}`)}`;
    },
  };
}

function relatedFilter(
  ctx: ExpandContext,
  related: EntityDefinition,
  hidden: ReadonlySet<number>,
  filter: string | undefined,
): Predicate<Row> | undefined {
  if (filter === undefined) return undefined;
  return compileFilter(filter, recordSchema(ctx.state, related, hidden, ctx.request.caller.userId));
}

/** `$orderby` inside an expanded collection: case-insensitive, nulls first, then by primary key. */
function orderOf(
  ctx: ExpandContext,
  related: EntityDefinition,
  hidden: ReadonlySet<number>,
  text: string,
): (a: Row, b: Row) => number {
  const schema = recordSchema(ctx.state, related, hidden, ctx.request.caller.userId);
  const items = parseOrderBy(text).map((item) => ({ ...item, get: schema.property(item.path).get }));
  const pk = related.byName.get(related.primaryId)!.index;
  const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
  return (a, b) => {
    for (const item of items) {
      const x = norm(item.get(a));
      const y = norm(item.get(b));
      const c = compareNullsFirst(x, y);
      if (c !== 0) return item.descending ? -c : c;
    }
    return String(a[pk]) < String(b[pk]) ? -1 : String(a[pk]) > String(b[pk]) ? 1 : 0;
  };
}

/** SQL Server's ascending order: nulls first. */
function compareNullsFirst(x: unknown, y: unknown): number {
  if (x === null || x === undefined) return y === null || y === undefined ? 0 : -1;
  if (y === null || y === undefined) return 1;
  const a = x as number | string;
  const b = y as number | string;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Appends properties to a serialized JSON object. */
function withExtra(objectText: string, extra: string): string {
  if (extra === '') return objectText;
  return objectText === '{}' ? `{${extra.slice(1)}}` : `${objectText.slice(0, -1)}${extra}}`;
}
