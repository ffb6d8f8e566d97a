import { randomUUID } from 'node:crypto';
import { badPayload, duplicateKey, notFound, odataError, segmentNotFound } from '../http/dataverse-error.ts';
import { emptyResponse, type EmulatorResponse } from '../http/emulator-request.ts';
import { normalizeGuid, parseKey, parseResourcePath, type PathSegment } from '../http/odata-path.ts';
import { queryCollection, type QueryContext } from '../query/collection-query.ts';
import { parseQueryOptions } from '../query/query-options.ts';
import { createRecord, deleteRecord } from '../records/record-writer.ts';
import type { Row } from '../state/row.ts';
import { assertTablePrivilege } from './field-security.ts';

/**
 * The `systemuserprofiles_association` N:N between systemusers and fieldsecurityprofiles (reference §8):
 * `GET <set>(<id>)/systemuserprofiles_association`, `POST …/$ref {"@odata.id": ".../systemusers(<id>)"}`,
 * `DELETE …(<other id>)/$ref`. Administrators only. Rows live in the `systemuserprofiles` intersect table.
 */
export function profileAssociation(ctx: QueryContext, id: string, segments: PathSegment[]): EmulatorResponse {
  const { state, entity, request } = ctx;
  if (entity.logicalName !== 'systemuser' && entity.logicalName !== 'fieldsecurityprofile')
    throw segmentNotFound(segments[0].name);
  const intersect = state.table('systemuserprofiles');
  assertTablePrivilege(request.caller, intersect.entity, request.method === 'GET' ? 'Read' : 'Write');
  if (!ctx.table.get(id)) throw notFound(entity.logicalName, id);
  const fromUser = entity.logicalName === 'systemuser';
  const other = state.table(fromUser ? 'fieldsecurityprofile' : 'systemuser');
  const at = (name: string) => intersect.entity.byName.get(name)!.index;
  const mine = at(fromUser ? 'systemuserid' : 'fieldsecurityprofileid');
  const theirs = at(fromUser ? 'fieldsecurityprofileid' : 'systemuserid');
  const links = () => [...intersect.rows.values()].filter((row) => row[mine] === id);
  const [nav, next, last] = segments;
  const isRef = (next?.name === '$ref' && !last) || (last?.name === '$ref' && next?.key !== undefined);

  if (request.method === 'GET' && segments.length === 1 && nav.key === undefined) {
    const related = new Set(links().map((row) => row[theirs] as string));
    const table = other;
    const filtered: QueryContext = {
      ...ctx,
      entity: table.entity,
      table,
      options: parseQueryOptions(request.query),
    };
    // Reuse the collection query over the related rows only.
    const original = table.byId;
    const subset = {
      entries: function* (from?: string) {
        for (const [k, v] of original.entries(from)) if (related.has(k)) yield [k, v] as [string, Row];
      },
    };
    return queryCollection({ ...filtered, table: Object.assign(Object.create(table), { byId: subset }) });
  }
  if (request.method === 'POST' && isRef && nav.key === undefined) {
    let target: string | undefined;
    try {
      const body = JSON.parse(request.body ?? '') as { '@odata.id'?: unknown };
      const path = String(body['@odata.id'] ?? '')
        .replace(/^.*\/api\/data\/v\d+\.\d+\//, '')
        .replace(/^\//, '');
      const [segment] = parseResourcePath(path);
      const key = segment.key === undefined ? undefined : parseKey(segment.key);
      if (segment.name === other.entity.entitySetName && key?.kind === 'id') target = key.id;
    } catch {
      throw badPayload(
        entity.entitySetName,
        'The body must be {"@odata.id": "<url of the related record>"}.',
      );
    }
    if (!target)
      throw badPayload(entity.entitySetName, `"@odata.id" must identify a ${other.entity.logicalName}.`);
    if (!other.get(target)) throw notFound(other.entity.logicalName, target);
    if (links().some((row) => row[theirs] === target)) throw duplicateKey();
    const write = { state, fls: ctx.fls, caller: request.caller, entity: intersect.entity, table: intersect };
    const row = createRecord(write, {}, { id: randomUUID() });
    const updated = row.slice();
    updated[mine] = id;
    updated[theirs] = target;
    updated[intersect.versionIndex] = state.nextVersion();
    intersect.put(updated);
    ctx.usage.rowsWritten += 1;
    return emptyResponse(204);
  }
  if (request.method === 'DELETE' && isRef) {
    const target = nav.key !== undefined ? normalizeGuid(nav.key) : idFromQuery(request.query);
    const link = links().find((row) => row[theirs] === target);
    if (!target || !link) throw odataError(`The association to '${target ?? ''}' does not exist.`, 404);
    deleteRecord(
      { state, fls: ctx.fls, caller: request.caller, entity: intersect.entity, table: intersect },
      link[intersect.pk] as string,
    );
    ctx.usage.rowsWritten += 1;
    return emptyResponse(204);
  }
  throw odataError(`The requested resource does not support http method '${request.method}'.`, 405);
}

function idFromQuery(query: string): string | undefined {
  const match = /(?:^|&)\$id=([^&]*)/.exec(query);
  if (!match) return undefined;
  const url = decodeURIComponent(match[1]);
  const key = /\(([^)]*)\)\s*$/.exec(url)?.[1];
  return key ? normalizeGuid(key) : undefined;
}
