import { badPayload, notFound, odataError, segmentNotFound } from '../http/dataverse-error.ts';
import { emptyResponse, type EmulatorResponse } from '../http/emulator-request.ts';
import { parseKey, parseResourcePath, type PathSegment } from '../http/odata-path.ts';
import { oneToManyOf, pointsAt, singleValued, type OneToMany } from '../metadata/relationships.ts';
import { queryCollection, type QueryContext } from '../query/collection-query.ts';
import { assertTablePrivilege } from '../security/field-security.ts';
import type { Row } from '../state/row.ts';
import { resolveKey } from './record-key.ts';
import { updateRecord } from './record-writer.ts';

const notAllowed = (method: string) =>
  odataError(`The requested resource does not support http method '${method}'.`, 405);

/**
 * Requests on a record's navigation properties (reference §3.4, associate-disassociate-entities):
 *
 * - `GET <set>(<key>)/<collection>`: the filtered collection (the target of `<collection>@odata.nextLink`);
 * - `PUT <set>(<key>)/<single>/$ref {"@odata.id": "<url>"}` sets a lookup, `DELETE …/<single>/$ref` clears it;
 * - `POST <set>(<key>)/<collection>/$ref {"@odata.id": "<url>"}` points the related row's lookup here,
 *   `DELETE …/<collection>(<id>)/$ref` or `…/<collection>/$ref?$id=<url>` clears it.
 *
 * Writes go through the same path as `<nav>@odata.bind` in a PATCH (lookup target checks, field security,
 * plug-in rules, change tracking, webhooks). Answers undefined when `segments[1]` is no navigation property.
 */
export function navigationRoute(
  ctx: QueryContext,
  keyText: string,
  segments: readonly PathSegment[],
): EmulatorResponse | undefined {
  const [, nav, last] = segments;
  const single = nav.key === undefined ? singleValued(ctx.entity, nav.name) : undefined;
  const relationship = oneToManyOf(ctx.state.catalog, ctx.entity.logicalName).get(nav.name);
  if (!single && !relationship) return undefined;
  if (segments.length > 3 || (last !== undefined && (last.name !== '$ref' || last.key !== undefined)))
    throw segmentNotFound(segments[segments.length - 1].name);
  const isRef = last !== undefined;
  const method = ctx.request.method;
  const row = locate(ctx, keyText);

  if (single) {
    if (!isRef) return undefined; // GET of a single-valued property itself: not emulated
    assertTablePrivilege(ctx.request.caller, ctx.entity, 'Write');
    if (method === 'PUT') return write(ctx, row, { [`${nav.name}@odata.bind`]: odataIdOf(ctx) });
    if (method === 'DELETE') return write(ctx, row, { [`${nav.name}@odata.bind`]: null });
    throw notAllowed(method);
  }
  const id = row[ctx.table.pk] as string;
  if (!isRef) {
    if (nav.key !== undefined) throw segmentNotFound(nav.name);
    if (method !== 'GET') throw notAllowed(method);
    return filteredCollection(ctx, relationship!, id);
  }
  return collectionReference(ctx, relationship!, id, nav);
}

function locate(ctx: QueryContext, keyText: string): Row {
  const key = parseKey(keyText);
  const id = resolveKey(ctx.table, key);
  const row = id === undefined ? undefined : ctx.table.get(id);
  if (!row) throw notFound(ctx.entity.logicalName, key.kind === 'id' ? key.id : keyText);
  return row;
}

function write(ctx: QueryContext, row: Row, body: Record<string, unknown>): EmulatorResponse {
  const { state, fls, request, entity, table } = ctx;
  updateRecord({ state, fls, caller: request.caller, entity, table }, row, body);
  ctx.usage.rowsRead += 1;
  ctx.usage.rowsWritten += 1;
  return emptyResponse(204);
}

/** The `@odata.id` of a `$ref` body: an absolute URL, `/set(id)` or `set(id)`. */
function odataIdOf(ctx: QueryContext): string {
  const text = ctx.request.body ?? '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badPayload(ctx.entity.entitySetName, `Invalid JSON. ${(error as Error).message}`);
  }
  const id = (body as Record<string, unknown> | null)?.['@odata.id'];
  if (typeof id !== 'string' || id === '')
    throw badPayload(
      ctx.entity.entitySetName,
      'A $ref request needs a body {"@odata.id": "<URL of the related record>"}.',
    );
  return id;
}

function filteredCollection(ctx: QueryContext, relationship: OneToMany, id: string): EmulatorResponse {
  const related = relationship.referencing;
  assertTablePrivilege(ctx.request.caller, related, 'Read');
  const matches = pointsAt(relationship);
  return queryCollection({
    ...ctx,
    entity: related,
    table: ctx.state.table(related.logicalName),
    scope: {
      key: `${relationship.name}(${id})`,
      test: (row) => matches(row, id),
      path: `${ctx.entity.entitySetName}(${id})/${relationship.name}`,
    },
  });
}

function collectionReference(
  ctx: QueryContext,
  relationship: OneToMany,
  id: string,
  nav: PathSegment,
): EmulatorResponse {
  const { request, state } = ctx;
  const related = relationship.referencing;
  const table = state.table(related.logicalName);
  const relatedCtx: QueryContext = { ...ctx, entity: related, table };
  assertTablePrivilege(request.caller, related, 'Write');
  const relatedRow = (url: string): Row => {
    const path = url.replace(/^.*\/api\/data\/v\d+\.\d+\//, '').replace(/^\//, '');
    const [segment] = parseResourcePath(decodeURIComponent(path));
    if (segment?.name !== related.entitySetName || segment.key === undefined)
      throw badPayload(ctx.entity.entitySetName, `'${url}' does not identify a ${related.logicalName}.`);
    return locate(relatedCtx, segment.key);
  };
  if (request.method === 'POST' && nav.key === undefined) {
    const target = relatedRow(odataIdOf(ctx));
    return write(relatedCtx, target, {
      [`${relationship.navigation}@odata.bind`]: `/${ctx.entity.entitySetName}(${id})`,
    });
  }
  if (request.method === 'DELETE') {
    const byQuery = new URLSearchParams(request.query).get('$id');
    const target =
      nav.key !== undefined ? locate(relatedCtx, nav.key) : byQuery ? relatedRow(byQuery) : undefined;
    if (!target) throw odataError(`Removing a reference from a collection needs its key or '$id'.`);
    // Only a row related to this record can be disassociated from it.
    if (!pointsAt(relationship)(target, id)) throw notFound(related.logicalName, target[table.pk] as string);
    return write(relatedCtx, target, { [`${relationship.navigation}@odata.bind`]: null });
  }
  throw notAllowed(request.method);
}
