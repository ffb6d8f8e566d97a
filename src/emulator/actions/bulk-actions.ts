import { emulatorFixtures } from '../emulator-fixtures.ts';
import {
  badPayload,
  DataverseError,
  dataverseCodes,
  invalidArgument,
  notFound,
  versionMismatch,
} from '../http/dataverse-error.ts';
import { emptyResponse, jsonResponse, type EmulatorResponse } from '../http/emulator-request.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import type { QueryContext } from '../query/collection-query.ts';
import { createRecord, updateRecord, type WriteContext } from '../records/record-writer.ts';
import { assertTablePrivilege } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';

/** The bulk messages the emulator serves as bound actions on an entity set (reference §2.1 "Bulk messages"). */
export const bulkActionNames = [
  'Microsoft.Dynamics.CRM.CreateMultiple',
  'Microsoft.Dynamics.CRM.UpdateMultiple',
] as const;

export type BulkActionName = (typeof bulkActionNames)[number];

export function isBulkAction(segment: string): segment is BulkActionName {
  return (bulkActionNames as readonly string[]).includes(segment);
}

/**
 * `POST <entityset>/Microsoft.Dynamics.CRM.CreateMultiple|UpdateMultiple` with `{"Targets":[…]}`.
 *
 * Every target goes through exactly the checks of a single create/update (types, lengths, `@odata.bind`
 * lookups, field security, plug-in rules) and, as Microsoft documents for standard tables, **any failing
 * target rolls the whole request back**: the answer is that target's error and nothing is written.
 *
 * Availability: a message is served on a table only while its `sdkmessagefilters` row exists (the rows a
 * client queries to ask); otherwise 400 `0x80040800` (`PUT /_emulator/bulk {unavailableOn}`).
 *
 * Optimistic concurrency (`state.bulk.etags`): whether the real Web API honours a per-target `@odata.etag` is
 * undocumented (reference §13), so both answers are emulated. `ignored` (default) applies every target
 * whatever its ETag; `honoured` fails the whole request with 412 `0x80060882` when a target's version is
 * stale, as a single `If-Match` would.
 *
 * Cost model: the request is charged once (`msPerRequest`) plus `msPerRecordWrite` per target, and counts as
 * one request against the window — what makes bulk messages cheaper than `$batch`, whose inner requests are
 * each charged `msPerRequest`.
 */
export function bulkAction(ctx: QueryContext, action: BulkActionName): EmulatorResponse {
  const { entity, request } = ctx;
  const creating = action === 'Microsoft.Dynamics.CRM.CreateMultiple';
  assertTablePrivilege(request.caller, entity, creating ? 'Create' : 'Write');
  const message = creating ? 'CreateMultiple' : 'UpdateMultiple';
  if (!bulkMessageAvailable(ctx.state, message, entity.logicalName))
    throw messageUnsupported(message, entity.logicalName);
  const targets = readTargets(ctx);
  const write: WriteContext = {
    state: ctx.state,
    fls: ctx.fls,
    caller: request.caller,
    entity,
    table: ctx.table,
  };
  const ids = ctx.state.atomic(() =>
    targets.map((target) => (creating ? createTarget(write, target) : updateTarget(write, target))),
  );
  ctx.usage.rowsWritten += targets.length;
  if (!creating) return emptyResponse(204);
  const context = `${request.baseUrl}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse`;
  return jsonResponse(200, JSON.stringify({ '@odata.context': context, Ids: ids }));
}

function readTargets(ctx: QueryContext): Record<string, unknown>[] {
  const set = ctx.entity.entitySetName;
  let body: unknown;
  try {
    body = JSON.parse(ctx.request.body ?? '');
  } catch (error) {
    throw badPayload(set, `Invalid JSON. ${(error as Error).message}`);
  }
  const targets = (body as { Targets?: unknown } | null)?.Targets;
  if (!Array.isArray(targets)) throw invalidArgument(`The parameter 'Targets' is required.`);
  if (targets.length === 0) throw invalidArgument(`The parameter 'Targets' must hold at least one record.`);
  const expectedType = `Microsoft.Dynamics.CRM.${ctx.entity.logicalName}`;
  for (const target of targets) {
    if (target === null || typeof target !== 'object' || Array.isArray(target))
      throw badPayload(set, 'Each item of Targets must be a JSON object.');
    const type = (target as Record<string, unknown>)['@odata.type'];
    // Targets is an EntityCollection: each item names its type, which must be the bound entity set's.
    if (type !== expectedType && type !== `#${expectedType}`) {
      throw invalidArgument(
        `Each item of Targets must carry "@odata.type": "${expectedType}" (got ${JSON.stringify(type ?? null)}).`,
      );
    }
  }
  return targets as Record<string, unknown>[];
}

function createTarget(ctx: WriteContext, target: Record<string, unknown>): string {
  const row = createRecord(ctx, target);
  return row[ctx.table.pk] as string;
}

function updateTarget(ctx: WriteContext, target: Record<string, unknown>): string {
  const pk = ctx.entity.primaryId;
  const raw = target[pk];
  const id = typeof raw === 'string' ? normalizeGuid(raw) : undefined;
  if (!id) throw invalidArgument(`Each item of Targets must carry its primary key '${pk}'.`);
  const row = ctx.table.get(id);
  if (!row) throw notFound(ctx.entity.logicalName, id);
  const etag = target['@odata.etag'];
  const honoured = ctx.state.bulk.etags === 'honoured';
  if (honoured && etag !== undefined && etag !== `W/"${row[ctx.table.versionIndex] as number}"`)
    throw versionMismatch();
  updateRecord(ctx, row, target);
  return id;
}

/** Whether an `sdkmessagefilters` row of `message` exists for the table (Learn's availability query). */
export function bulkMessageAvailable(
  state: EmulatorState,
  message: keyof typeof emulatorFixtures.bulkMessageIds,
  entity: string,
): boolean {
  const table = state.table('sdkmessagefilter');
  const at = (name: string) => table.entity.byName.get(name)!.index;
  const messageId = emulatorFixtures.bulkMessageIds[message];
  for (const row of table.rows.values()) {
    if (row[at('sdkmessageid')] === messageId && row[at('primaryobjecttypecode')] === entity) return true;
  }
  return false;
}

/**
 * The platform's SdkEntityDoesNotSupportMessage. Microsoft documents no Web API answer for a bulk message on a
 * table without it; code and text are those seen from the SDK for other messages ("The 'Create' method does not
 * support entities of type …", third-party reports), the 400 status is our choice [UNCONFIRMED].
 */
function messageUnsupported(message: string, entity: string): DataverseError {
  return new DataverseError(
    400,
    dataverseCodes.messageNotSupported,
    `The '${message}' method does not support entities of type '${entity}'. MessageProcessorCache returned MessageProcessor.Empty.`,
  );
}
