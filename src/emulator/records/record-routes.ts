import {
  badPayload,
  DataverseError,
  dataverseCodes,
  duplicateKey,
  notFound,
  odataError,
  unknownProperty,
  versionMismatch,
} from '../http/dataverse-error.ts';
import { emptyResponse, jsonResponse, type EmulatorResponse } from '../http/emulator-request.ts';
import { parseKey, type ParsedKey } from '../http/odata-path.ts';
import { attributeOfProperty } from '../query/record-schema.ts';
import { compileExpansion } from '../query/expansion.ts';
import { contextFragment, selectColumns } from '../query/select-columns.ts';
import type { QueryContext } from '../query/collection-query.ts';
import { assertTablePrivilege } from '../security/field-security.ts';
import type { Row, Value } from '../state/row.ts';
import { alternateKeyValues, resolveKey } from './record-key.ts';
import { compileRowSerializer, isLookup } from './record-serializer.ts';
import { createRecord, deleteRecord, updateRecord, type WriteContext } from './record-writer.ts';
import { jsonValue } from './value-format.ts';

/** The record endpoints (reference §3): create, retrieve, update/upsert, delete, single property. */

export function parseBody(ctx: QueryContext): Record<string, unknown> {
  const text = ctx.request.body ?? '';
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw badPayload(ctx.entity.entitySetName, `Invalid JSON. ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badPayload(ctx.entity.entitySetName, 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function writeContext(ctx: QueryContext): WriteContext {
  return { state: ctx.state, fls: ctx.fls, caller: ctx.request.caller, entity: ctx.entity, table: ctx.table };
}

function entityUrl(ctx: QueryContext, keyText: string): string {
  return `${ctx.request.baseUrl}${ctx.entity.entitySetName}(${keyText})`;
}

/** Single-record JSON (retrieve, return=representation), `$select` honoured. */
function representation(
  ctx: QueryContext,
  row: Row,
  status: number,
  extra: Record<string, string> = {},
): EmulatorResponse {
  const { entity, options, request } = ctx;
  const columns = selectColumns(entity, options.select);
  const hidden = ctx.fls.unreadable(request.caller, entity);
  const serialize = compileRowSerializer(ctx.state, entity, columns, request.annotations, hidden);
  // $expand applies to a retrieve and to a created record's representation; an update ignores it (reference §3.2).
  const expansion =
    options.expand !== undefined && request.method !== 'PATCH'
      ? compileExpansion(ctx, entity, options.expand)
      : undefined;
  const plain = serialize(row);
  const text = expansion === undefined ? plain : plain.slice(0, -1) + expansion.render(row) + '}';
  const context = `"@odata.context":"${request.baseUrl}$metadata#${contextFragment(entity, options.select, expansion?.contextItems)}/$entity",`;
  const applied: string[] = [];
  if (status !== 200 || request.method !== 'GET') applied.push('return=representation');
  if (request.prefer.includeAnnotations !== undefined)
    applied.push(`odata.include-annotations="${request.prefer.includeAnnotations}"`);
  const headers: Record<string, string> = { ETag: `W/"${row[ctx.table.versionIndex] as number}"`, ...extra };
  if (applied.length > 0) headers['Preference-Applied'] = applied.join(',');
  return jsonResponse(status, `{${context}${text.slice(1)}`, headers);
}

export function createInCollection(ctx: QueryContext): EmulatorResponse {
  assertTablePrivilege(ctx.request.caller, ctx.entity, 'Create');
  const row = createRecord(writeContext(ctx), parseBody(ctx));
  ctx.usage.rowsWritten += 1;
  const id = row[ctx.table.pk] as string;
  const location = entityUrl(ctx, id);
  if (ctx.request.prefer.returnRepresentation)
    return representation(ctx, row, 201, { 'OData-EntityId': location, Location: location });
  return emptyResponse(204, { 'OData-EntityId': location, Location: location });
}

/** Resolves a key segment to the row (or undefined) plus what an upsert needs. */
function locate(
  ctx: QueryContext,
  keyText: string,
): { key: ParsedKey; id: string | undefined; row: Row | undefined; keyValues?: Map<string, Value> } {
  const key = parseKey(keyText);
  const keyValues = key.kind === 'named' ? alternateKeyValues(ctx.table, key) : undefined;
  const id = resolveKey(ctx.table, key);
  return { key, id, row: id === undefined ? undefined : ctx.table.get(id), keyValues };
}

function missing(ctx: QueryContext, key: ParsedKey, _keyText: string): DataverseError {
  if (key.kind === 'id') return notFound(ctx.entity.logicalName, key.id);
  return new DataverseError(
    404,
    dataverseCodes.objectDoesNotExist,
    `A record with the specified key values does not exist in ${ctx.entity.logicalName} entity`,
  );
}

export function retrieveOne(ctx: QueryContext, keyText: string): EmulatorResponse {
  assertTablePrivilege(ctx.request.caller, ctx.entity, 'Read');
  const { key, row } = locate(ctx, keyText);
  if (!row) throw missing(ctx, key, keyText);
  ctx.usage.rowsRead += 1;
  const etag = `W/"${row[ctx.table.versionIndex] as number}"`;
  // Conditional GET: 304 when unchanged, never with $expand or annotations requested (reference §3.3).
  if (
    ctx.request.headers['if-none-match'] === etag &&
    !ctx.request.annotations.any &&
    ctx.options.expand === undefined
  )
    return emptyResponse(304, { ETag: etag });
  return representation(ctx, row, 200);
}

/** PATCH: update with If-Match, upsert without (reference §3.2–3.3). */
export function patchOne(ctx: QueryContext, keyText: string): EmulatorResponse {
  assertTablePrivilege(ctx.request.caller, ctx.entity, 'Write');
  const body = parseBody(ctx);
  const { key, id, row, keyValues } = locate(ctx, keyText);
  const ifMatch = ctx.request.headers['if-match'];
  const ifNoneMatch = ctx.request.headers['if-none-match'];
  const location = entityUrl(ctx, keyText);
  if (ifNoneMatch === '*' && row) throw duplicateKey();
  if (ifMatch !== undefined) {
    if (!row) throw missing(ctx, key, keyText);
    if (ifMatch !== '*' && ifMatch !== `W/"${row[ctx.table.versionIndex] as number}"`)
      throw versionMismatch();
  }
  ctx.usage.rowsWritten += 1;
  if (row) {
    const updated = updateRecord(writeContext(ctx), row, body, keyValues);
    if (ctx.request.prefer.returnRepresentation)
      return representation(ctx, updated, 200, { 'OData-EntityId': location });
    return emptyResponse(204, { 'OData-EntityId': location });
  }
  const created = createRecord(writeContext(ctx), body, {
    ...(key.kind === 'id' ? { id } : {}),
    ...(keyValues ? { keyValues } : {}),
  });
  if (ctx.request.prefer.returnRepresentation)
    return representation(ctx, created, 201, { 'OData-EntityId': location });
  return emptyResponse(204, { 'OData-EntityId': location });
}

export function deleteOne(ctx: QueryContext, keyText: string): EmulatorResponse {
  assertTablePrivilege(ctx.request.caller, ctx.entity, 'Delete');
  const { key, id, row } = locate(ctx, keyText);
  if (!row || !id) throw missing(ctx, key, keyText);
  const ifMatch = ctx.request.headers['if-match'];
  if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== `W/"${row[ctx.table.versionIndex] as number}"`)
    throw versionMismatch();
  deleteRecord(writeContext(ctx), id);
  ctx.usage.rowsWritten += 1;
  return emptyResponse(204);
}

/** GET/PUT/DELETE `<set>(<key>)/<property>` (reference §3.2). */
export function singleProperty(ctx: QueryContext, keyText: string, property: string): EmulatorResponse {
  const attribute = attributeOfProperty(ctx.entity, property);
  if (!attribute) throw unknownProperty(property, ctx.entity.logicalName);
  const { key, row } = locate(ctx, keyText);
  if (!row) throw missing(ctx, key, keyText);
  const method = ctx.request.method;
  if (method === 'GET') {
    assertTablePrivilege(ctx.request.caller, ctx.entity, 'Read');
    ctx.usage.rowsRead += 1;
    const hidden = ctx.fls.unreadable(ctx.request.caller, ctx.entity).has(attribute.index);
    const value = hidden ? 'null' : jsonValue(attribute, row[attribute.index]);
    const context = `${ctx.request.baseUrl}$metadata#${ctx.entity.entitySetName}(${row[ctx.table.pk] as string})/${property}`;
    return jsonResponse(200, `{"@odata.context":"${context}","value":${value}}`);
  }
  if (isLookup(attribute)) throw odataError(`Use the navigation property to change '${property}'.`, 400);
  let body: Record<string, unknown>;
  if (method === 'PUT') {
    const parsed = parseBody(ctx);
    if (!('value' in parsed)) throw badPayload(ctx.entity.entitySetName, 'The body must be {"value": …}.');
    body = { [attribute.logicalName]: parsed.value };
  } else if (method === 'DELETE') {
    body = { [attribute.logicalName]: null };
  } else {
    throw odataError(`The HTTP method '${method}' is not allowed on a property.`, 405);
  }
  assertTablePrivilege(ctx.request.caller, ctx.entity, 'Write');
  updateRecord(writeContext(ctx), row, body);
  ctx.usage.rowsWritten += 1;
  return emptyResponse(204);
}
