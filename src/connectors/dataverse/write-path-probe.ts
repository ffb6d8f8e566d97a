import { randomUUID } from 'node:crypto';
import type { WritePathProbe } from '../connector.ts';
import { isCrmError } from '../crm-error.ts';
import type { DataverseHttp, HttpResponse } from './dataverse-http.ts';
import { parseErrorBody } from './dataverse-http.ts';
import { classifyFailure, isMessageUnsupported } from './error-classifier.ts';
import type { EntityShape } from './record-mapper.ts';

/**
 * B4.5's verification, run on the connected organisation: may updates of this table go as `UpdateMultiple` with
 * a per-target `@odata.etag`? Microsoft documents optimistic concurrency only as `If-Match` on a single request
 * (reference §13); for UpdateMultiple it documents nothing on the Web API, and the SDK's `ConcurrencyBehavior`
 * was a known issue (ignored). So the only evidence that counts is the organisation's own answer to a stale ETag.
 *
 * Steps: (1) `sdkmessagefilters` — is UpdateMultiple available for the table (the query Learn documents, joined
 * to `sdkmessages` by name, done as two plain queries); (2) create a scratch record `syncline-probe-<random>`,
 * move its ETag with a PATCH, send an UpdateMultiple carrying the first (stale) ETag and read the record back;
 * (3) delete the scratch record, whatever happened. It never throws: a failure makes the answer `unknown`.
 */
export async function probeWritePath(http: DataverseHttp, shape: EntityShape): Promise<WritePathProbe> {
  const entity = shape.entity.logicalName;
  const availability = await bulkAvailability(http, entity);
  if (availability.available === false) {
    return result(entity, false, 'unknown', availability.reason);
  }
  const nameAttribute = shape.attributes.has('lastname') ? 'lastname' : shape.entity.primaryNameAttribute;
  if (nameAttribute === undefined) {
    return result(
      entity,
      availability.available,
      'unknown',
      `${entity} has no name column to mark a scratch record.`,
    );
  }
  const scratch = new ScratchRecord(http, shape, nameAttribute);
  let outcome: Omit<WritePathProbe, 'entity' | 'proved'>;
  try {
    outcome = await staleEtagExperiment(http, shape, scratch, availability);
  } catch (error) {
    outcome = {
      bulkAvailable: availability.available,
      bulkEtagsHonoured: 'unknown',
      reason: `the probe failed at "${scratch.step}": ${describe(error)}`,
    };
  }
  // Whatever the experiment found or how it failed, the scratch record goes (and a leftover is reported).
  const cleanup = await scratch.delete();
  if (cleanup !== undefined) {
    outcome = {
      ...outcome,
      reason: `${outcome.reason}; ${cleanup}`,
      leftoverRecordId: scratch.id,
    };
  }
  return result(
    entity,
    outcome.bulkAvailable,
    outcome.bulkEtagsHonoured,
    outcome.reason,
    outcome.leftoverRecordId,
  );
}

function result(
  entity: string,
  bulkAvailable: boolean | 'unknown',
  bulkEtagsHonoured: boolean | 'unknown',
  reason: string,
  leftoverRecordId?: string,
): WritePathProbe {
  return {
    entity,
    bulkAvailable,
    bulkEtagsHonoured,
    proved: bulkAvailable !== false && bulkEtagsHonoured === true,
    reason,
    ...(leftoverRecordId === undefined ? {} : { leftoverRecordId }),
  };
}

interface Availability {
  readonly available: boolean | 'unknown';
  readonly reason: string;
}

/** Learn: a table supports a bulk message when an `sdkmessagefilter` of that message names it. */
async function bulkAvailability(http: DataverseHttp, entity: string): Promise<Availability> {
  try {
    const messages = await getValue(
      http,
      `sdkmessages?$select=sdkmessageid&$filter=name eq 'UpdateMultiple'`,
    );
    const messageId = messages[0]?.sdkmessageid;
    if (typeof messageId !== 'string') {
      return { available: false, reason: 'this organisation has no UpdateMultiple message (sdkmessages)' };
    }
    const filters = await getValue(
      http,
      `sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode eq '${entity}' and _sdkmessageid_value eq ${messageId}`,
    );
    return filters.length > 0
      ? { available: true, reason: `UpdateMultiple is available for ${entity} (sdkmessagefilters)` }
      : {
          available: false,
          reason: `UpdateMultiple is not available for ${entity} (no sdkmessagefilters row)`,
        };
  } catch (error) {
    return { available: 'unknown', reason: `sdkmessagefilters could not be read: ${describe(error)}` };
  }
}

async function getValue(http: DataverseHttp, path: string): Promise<Record<string, unknown>[]> {
  const response = await http.send({ method: 'GET', path: encodeURI(path) });
  const body = JSON.parse(response.text) as { value?: Record<string, unknown>[] };
  return body.value ?? [];
}

/** Statuses the experiment reads as answers rather than failures. */
const answerStatuses = [400, 403, 404, 409, 412];

async function staleEtagExperiment(
  http: DataverseHttp,
  shape: EntityShape,
  scratch: ScratchRecord,
  availability: Availability,
): Promise<Omit<WritePathProbe, 'entity' | 'proved'>> {
  const unknown = (reason: string) => ({
    bulkAvailable: availability.available,
    bulkEtagsHonoured: 'unknown' as const,
    reason,
  });
  const set = shape.entity.entitySetName;
  const pk = shape.entity.primaryIdAttribute;
  const name = scratch.name;

  const staleEtag = await scratch.create();
  if (staleEtag === undefined)
    return unknown(`the scratch ${shape.entity.logicalName} answered without an ETag`);

  scratch.step = 'move its ETag (PATCH)';
  const moved = await http.send({
    method: 'PATCH',
    path: `${set}(${scratch.id})?$select=${pk}`,
    headers: { 'if-match': staleEtag, prefer: 'return=representation' },
    body: { [scratch.nameAttribute]: `${name}-moved` },
    idempotent: true,
  });
  const currentEtag = etagOf(moved);
  if (currentEtag === undefined || currentEtag === staleEtag) {
    return unknown('the PATCH did not move the scratch record’s ETag, so no stale ETag could be sent');
  }

  scratch.step = 'UpdateMultiple with the stale ETag';
  const bulk = await http.send({
    method: 'POST',
    path: `${set}/Microsoft.Dynamics.CRM.UpdateMultiple`,
    body: {
      Targets: [
        {
          '@odata.type': `Microsoft.Dynamics.CRM.${shape.entity.logicalName}`,
          [pk]: scratch.id,
          '@odata.etag': staleEtag,
          [scratch.nameAttribute]: `${name}-stale`,
        },
      ],
    },
    // A resend meets the same stale ETag: refused or applied again, the same answer.
    idempotent: true,
    acceptStatus: answerStatuses,
  });
  const failure = bulk.status >= 400 ? { httpStatus: bulk.status, ...parseErrorBody(bulk.text) } : undefined;
  if (failure && isMessageUnsupported(failure)) {
    return {
      bulkAvailable: false,
      bulkEtagsHonoured: 'unknown',
      reason: `UpdateMultiple is not available for ${shape.entity.logicalName}: ${failure.message ?? bulk.status}`,
    };
  }

  scratch.step = 'read the scratch record back';
  const kept = await scratch.currentName();
  if (failure) {
    const refusedAsStale = classifyFailure(failure).reason === 'stale-etag';
    if (refusedAsStale && kept === `${name}-moved`) {
      return {
        bulkAvailable: true,
        bulkEtagsHonoured: true,
        reason:
          `UpdateMultiple refused a stale @odata.etag (${bulk.status} ${failure.crmCode ?? ''}) and kept the newer value`.trimEnd(),
      };
    }
    return unknown(
      `UpdateMultiple answered ${bulk.status} ${failure.crmCode ?? ''} "${failure.message ?? ''}" — not a concurrency refusal that can be relied on`,
    );
  }
  if (kept === `${name}-stale`) {
    return {
      bulkAvailable: true,
      bulkEtagsHonoured: false,
      reason:
        'UpdateMultiple applied a target whose @odata.etag was stale: bulk writes would overwrite newer CRM edits, so updates use $batch with If-Match',
    };
  }
  return unknown(`UpdateMultiple answered ${bulk.status} but the record reads "${String(kept)}"`);
}

/** The probe's own record: created once, always deleted (`delete` reports what it could not do). */
class ScratchRecord {
  readonly name = `syncline-probe-${randomUUID().slice(0, 8)}`;
  /** Client-chosen, so a create whose answer was lost can still be deleted. */
  readonly id = randomUUID();
  step = 'create a scratch record';
  #mayExist = false;
  readonly #http: DataverseHttp;
  readonly #shape: EntityShape;
  readonly nameAttribute: string;

  constructor(http: DataverseHttp, shape: EntityShape, nameAttribute: string) {
    this.#http = http;
    this.#shape = shape;
    this.nameAttribute = nameAttribute;
  }

  /** Creates the record and returns its first ETag. */
  async create(): Promise<string | undefined> {
    const { entitySetName: set, primaryIdAttribute: pk } = this.#shape.entity;
    try {
      this.#mayExist = true;
      const created = await this.#http.send({
        method: 'POST',
        path: `${set}?$select=${pk}`,
        headers: { prefer: 'return=representation' },
        body: { [pk]: this.id, [this.nameAttribute]: this.name },
        idempotent: false,
      });
      return etagOf(created);
    } catch (error) {
      // A definite refusal (privilege, validation) created nothing; anything else may have.
      if (isCrmError(error) && error.httpStatus !== undefined && error.httpStatus < 500)
        this.#mayExist = false;
      throw error;
    }
  }

  async currentName(): Promise<unknown> {
    const { entitySetName: set } = this.#shape.entity;
    const response = await this.#http.send({
      method: 'GET',
      path: `${set}(${this.id})?$select=${this.nameAttribute}`,
    });
    return (JSON.parse(response.text) as Record<string, unknown>)[this.nameAttribute];
  }

  /** Deletes the record if it may exist; returns a description of the failure, if any. */
  async delete(): Promise<string | undefined> {
    if (!this.#mayExist) return undefined;
    try {
      // 404: the create never happened (or a resent delete already ran).
      await this.#http.send({
        method: 'DELETE',
        path: `${this.#shape.entity.entitySetName}(${this.id})`,
        idempotent: true,
        acceptStatus: [404],
      });
      this.#mayExist = false;
      return undefined;
    } catch (error) {
      return `the scratch record ${this.#shape.entity.logicalName} ${this.id} ("${this.name}") could not be deleted: ${describe(error)} — delete it by hand`;
    }
  }
}

function etagOf(response: HttpResponse): string | undefined {
  if (response.headers['etag']) return response.headers['etag'];
  try {
    const etag = (JSON.parse(response.text) as Record<string, unknown>)['@odata.etag'];
    return typeof etag === 'string' ? etag : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
