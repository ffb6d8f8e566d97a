import { z } from 'zod';
import type { EmulatorCore } from '../emulator-core.ts';
import { DataverseError, dataverseCodes } from '../http/dataverse-error.ts';
import { jsonResponse, type Caller, type EmulatorResponse } from '../http/emulator-request.ts';
import { syncBulkMessageFilters } from '../seed/demo-seed.ts';
import type { RecordCounts } from '../state/record-count-snapshot.ts';

/**
 * The control API under `/_emulator` (interfaces.md §7), administrator token only. Limits and faults are the
 * protocol module's (src/emulator/limits/), registered next to these in server.ts.
 */

const resetBody = z.strictObject({
  seed: z.enum(['demo', 'empty']),
  contacts: z.number().int().min(0).max(5_000_000).optional(),
  leads: z.number().int().min(0).max(5_000_000).optional(),
  accounts: z.number().int().min(0).max(1_000_000).optional(),
});

const ruleBody = z.array(
  z.strictObject({
    entity: z.string().min(1),
    attribute: z.string().min(1).optional(),
    on: z.enum(['create', 'update', 'both']),
    check: z.enum(['required', 'regex', 'forbidden']),
    value: z.string().optional(),
    message: z.string().min(1),
  }),
);

/** `PUT /_emulator/bulk`: replaces the bulk-message behaviour; absent fields take their defaults. */
const bulkBody = z.strictObject({
  etags: z.enum(['honoured', 'ignored']).default('ignored'),
  unavailableOn: z.array(z.string().min(1)).default([]),
});

/** `PUT /_emulator/record-counts`: how old the `RetrieveTotalRecordCount` snapshot may get (0 = live). */
const recordCountsBody = z.strictObject({ refreshSeconds: z.number().int().min(0).max(31_536_000) });

const expireBody = z.strictObject({ entity: z.string().min(1).optional() });

/** `PUT /_emulator/change-tracking`: an entity served with or without change tracking until the next reset. */
const trackingBody = z.strictObject({ entity: z.string().min(1), enabled: z.boolean() });

export function handleControl(
  core: EmulatorCore,
  caller: Caller | undefined,
  method: string,
  action: string,
  bodyText: string | undefined,
  origin: string,
): EmulatorResponse {
  if (!caller) return core.unauthorized(origin);
  try {
    if (!caller.isAdmin) throw invalid(403, 'The control API requires the administrator token.');
    const route = `${method} ${action}`;
    switch (route) {
      case 'POST reset': {
        const body = parse(resetBody, bodyText);
        core.reset(body);
        return ok({ seeded: rowCounts(core) });
      }
      case 'PUT rules': {
        const rules = parse(ruleBody, bodyText);
        for (const rule of rules) {
          const entity = core.state.catalog.entity(rule.entity);
          if (!entity) throw invalid(400, `Unknown entity '${rule.entity}'.`);
          if (rule.attribute !== undefined && !entity.byName.has(rule.attribute))
            throw invalid(400, `Unknown attribute '${rule.attribute}' on '${rule.entity}'.`);
          if (rule.check === 'regex') {
            try {
              new RegExp(rule.value ?? '');
            } catch {
              throw invalid(400, `The regex '${rule.value ?? ''}' does not compile.`);
            }
          }
        }
        core.state.rules = rules;
        return ok({ rules });
      }
      case 'POST expire-delta-tokens': {
        const body = parse(expireBody, bodyText === undefined || bodyText.trim() === '' ? '{}' : bodyText);
        const tables =
          body.entity === undefined ? [...core.state.tables.values()] : [core.state.tables.get(body.entity)];
        if (tables.some((t) => t === undefined)) throw invalid(400, `Unknown entity '${body.entity}'.`);
        const through = core.state.currentVersion;
        // Move past `through` so tokens issued from now on (a client's next full sync) are valid.
        core.state.nextVersion();
        for (const table of tables) {
          table!.expiredThrough = through;
          table!.pruneTombstones(through);
        }
        return ok({ expiredThrough: through, entities: tables.map((t) => t!.entity.logicalName) });
      }
      case 'POST expire-metadata-stamps': {
        // Dataverse expires metadata version stamps after Organization.ExpireSubscriptionsInDays or maintenance.
        const history = core.state.catalog.history;
        const through = history.version;
        history.expireAll();
        return ok({ expiredThrough: through });
      }
      case 'PUT change-tracking': {
        const body = parse(trackingBody, bodyText);
        const entity = core.state.catalog.entity(body.entity);
        if (!entity) throw invalid(400, `Unknown entity '${body.entity}'.`);
        if (entity.changeTracking !== body.enabled)
          core.state.catalog.history.entityChanged(entity.metadataId);
        entity.changeTracking = body.enabled;
        return ok({ entity: entity.logicalName, changeTracking: entity.changeTracking });
      }
      case 'PUT bulk': {
        const body = parse(bulkBody, bodyText);
        for (const entity of body.unavailableOn) {
          if (!core.state.catalog.entity(entity)) throw invalid(400, `Unknown entity '${entity}'.`);
        }
        core.state.bulk = { etags: body.etags, unavailableOn: [...new Set(body.unavailableOn)] };
        syncBulkMessageFilters(core.state);
        return ok(core.state.bulk);
      }
      case 'GET bulk':
        return ok(core.state.bulk);
      case 'GET record-counts':
        return ok(recordCountsView(core, core.state.recordCounts.current(core.state.tables)));
      case 'PUT record-counts': {
        const body = parse(recordCountsBody, bodyText);
        core.state.recordCounts.refreshSeconds = body.refreshSeconds;
        return ok(recordCountsView(core, core.state.recordCounts.current(core.state.tables)));
      }
      case 'POST record-counts':
        return ok(recordCountsView(core, core.state.recordCounts.take(core.state.tables)));
      case 'GET stats':
        return ok({
          ...core.state.stats,
          ...core.state.moreStats(),
          version: core.state.currentVersion,
          rows: rowCounts(core),
        });
      default:
        throw invalid(404, `No control route '${method} /_emulator/${action}'.`);
    }
  } catch (error) {
    return core.errorResponse(error);
  }
}

function ok(body: unknown): EmulatorResponse {
  return jsonResponse(200, JSON.stringify(body));
}

function invalid(status: number, message: string): DataverseError {
  return new DataverseError(status, dataverseCodes.invalidArgument, message);
}

function parse<T>(schema: z.ZodType<T>, text: string | undefined): T {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw invalid(400, 'The body must be valid JSON.');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalid(
      400,
      `Invalid body: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}.`,
    );
  }
  return result.data;
}

function rowCounts(core: EmulatorCore): Record<string, number> {
  return Object.fromEntries([...core.state.tables].map(([name, table]) => [name, table.size]));
}

/** The snapshot `RetrieveTotalRecordCount` answers from, for tests and docs/emulator.md "Record counts". */
function recordCountsView(core: EmulatorCore, snapshot: RecordCounts) {
  return {
    refreshSeconds: core.state.recordCounts.refreshSeconds,
    takenAt: snapshot.takenAt.toISOString(),
    counts: Object.fromEntries(snapshot.counts),
  };
}
