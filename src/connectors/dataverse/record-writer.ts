import { setTimeout as sleep } from 'node:timers/promises';
import type { UpdateOperation, WriteOperation, WriteOptions, WriteOutcome } from '../connector.ts';
import { CrmError } from '../crm-error.ts';
import {
  decodeBatchResponse,
  encodeBatch,
  type BatchPartResponse,
  type BatchRequest,
} from './batch-codec.ts';
import { updateMultiple } from './bulk-writer.ts';
import { throttleKindOf, type ThrottleKind } from './concurrency-limiter.ts';
import type { DataverseHttp, HttpResponse } from './dataverse-http.ts';
import { parseErrorBody } from './dataverse-http.ts';
import { classifyFailure, mayHaveRun } from './error-classifier.ts';
import { idFromEntityUrl, toBody, type EntityShape } from './record-mapper.ts';
import { defaultRetryPolicy, parseRetryAfter, RetryBudget, type RetryPolicyOptions } from './retry-policy.ts';

/**
 * Creates and updates through `$batch` (protocol reference §4) and, for updates of the entities in
 * `bulkEntities`, `UpdateMultiple` (`bulk-writer.ts`). Independent operations go as plain parts with `Prefer: odata.continue-on-error`, so one
 * bad record never blocks the others (B6.1); atomic groups go in one changeset. Each part asks for
 * `return=representation` of the primary key only, which gives the new ETag without a second read. Parts that
 * fail transiently (429/5xx inside the batch) are re-sent alone after a back-off; a pass-level failure (401,
 * entity privilege) throws for the whole call (B6.3).
 */
export interface WriteContext {
  readonly http: DataverseHttp;
  /** Shapes of every entity the operations write, already loaded. */
  readonly shapes: ReadonlyMap<string, EntityShape>;
  /** Entity set names of every entity a lookup binds to. */
  readonly entitySets: ReadonlyMap<string, string>;
  readonly retry?: RetryPolicyOptions;
  readonly random?: () => number;
  /**
   * Entities whose independent updates go as `UpdateMultiple` with per-target ETags: only those where the
   * write-path probe proved that a stale ETag is refused (B4.5). Every other entity — the default — writes
   * through `$batch` with per-request `If-Match`, the concurrency Microsoft documents.
   */
  readonly bulkEntities?: ReadonlySet<string>;
  /** Entities whose table refused `UpdateMultiple`, shared across calls (the connector owns it). */
  readonly bulkUnsupported?: Set<string>;
}

const maxBatchSize = 1000;

export async function writeOperations(
  context: WriteContext,
  operations: readonly WriteOperation[],
  options: WriteOptions = {},
): Promise<WriteOutcome[]> {
  if (operations.length === 0) return [];
  const requests = operations.map((operation) => toRequest(context, operation));
  if (options.atomic) return writeAtomic(context, operations, requests, options.signal);
  const size = Math.min(maxBatchSize, Math.max(1, options.batchSize ?? 50));
  const outcomes: WriteOutcome[] = new Array(operations.length);
  const unsupported = context.bulkUnsupported ?? new Set<string>();
  const viaBatch: number[] = [];
  const updatesByEntity = new Map<string, number[]>();
  operations.forEach((operation, i) => {
    const bulk = context.bulkEntities?.has(operation.entity) === true && !unsupported.has(operation.entity);
    if (!bulk || operation.kind !== 'update') {
      viaBatch.push(i);
      return;
    }
    const group = updatesByEntity.get(operation.entity);
    if (group === undefined) updatesByEntity.set(operation.entity, [i]);
    else group.push(i);
  });
  const viaBatchChunk = async (chunk: readonly number[]) => {
    const results = await writeIndependent(
      context,
      chunk.map((i) => operations[i]),
      chunk.map((i) => requests[i]),
      options.signal,
    );
    chunk.forEach((i, k) => (outcomes[i] = results[k]));
  };
  const viaBulkChunk = async (entity: string, chunk: readonly number[]) => {
    // One update gains nothing from a bulk message (one request either way) and `$batch` returns its new ETag.
    // The same record twice in one request is refused by Dataverse; `$batch` applies them in order instead.
    if (chunk.length < 2 || new Set(chunk.map((i) => operations[i].id)).size < chunk.length)
      return viaBatchChunk(chunk);
    const shape = shapeOf(context, entity);
    const results = await updateMultiple({
      http: context.http,
      entitySetName: shape.entity.entitySetName,
      primaryIdAttribute: shape.entity.primaryIdAttribute,
      unsupported,
      operations: chunk.map((i) => operations[i] as UpdateOperation),
      requests: chunk.map((i) => requests[i]),
      fallback: () =>
        writeIndependent(
          context,
          chunk.map((i) => operations[i]),
          chunk.map((i) => requests[i]),
          options.signal,
        ),
      signal: options.signal,
    });
    chunk.forEach((i, k) => (outcomes[i] = results[k]));
  };
  // Chunks run in parallel; the connector's concurrency limiter decides how many are really in flight.
  await Promise.all([
    ...[...updatesByEntity].flatMap(([entity, indexes]) =>
      chunksOf(indexes, size).map((chunk) => viaBulkChunk(entity, chunk)),
    ),
    ...chunksOf(viaBatch, size).map(viaBatchChunk),
  ]);
  return outcomes;
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function toRequest(context: WriteContext, operation: WriteOperation): BatchRequest {
  const shape = shapeOf(context, operation.entity);
  const set = shape.entity.entitySetName;
  const pk = shape.entity.primaryIdAttribute;
  const body = toBody(shape, operation.values, (entity) => {
    const set = context.entitySets.get(entity);
    if (set === undefined) throw new Error(`Metadata of ${entity} was not loaded before writing.`);
    return set;
  });
  const headers = { prefer: 'return=representation', accept: 'application/json' };
  if (operation.kind === 'create') {
    return {
      method: 'POST',
      url: `${context.http.dataPath}${set}?$select=${pk}`,
      headers,
      body: operation.id === undefined ? body : { ...body, [pk]: operation.id },
    };
  }
  return {
    method: 'PATCH',
    url: `${context.http.dataPath}${set}(${operation.id})?$select=${pk}`,
    // `*` still forbids an update from silently creating a deleted record (upsert semantics).
    headers: { ...headers, 'if-match': operation.etag ?? '*' },
    body,
  };
}

function shapeOf(context: WriteContext, entity: string): EntityShape {
  const shape = context.shapes.get(entity);
  if (!shape) throw new Error(`Metadata of ${entity} was not loaded before writing.`);
  return shape;
}

async function writeIndependent(
  context: WriteContext,
  operations: readonly WriteOperation[],
  requests: readonly BatchRequest[],
  signal: AbortSignal | undefined,
): Promise<WriteOutcome[]> {
  const outcomes: (WriteOutcome | undefined)[] = new Array(operations.length);
  const budget = new RetryBudget(context.retry ?? defaultRetryPolicy, context.random);
  // Operations an attempt of which may have run (a 5xx part): a later refusal does not undo that.
  const mayHaveLanded = new Set<number>();
  let pending = operations.map((_, i) => i);
  while (pending.length > 0) {
    let parts: (BatchPartResponse | undefined)[];
    let sent: HttpResponse;
    try {
      ({ parts, sent } = await sendBatch(
        context,
        pending.map((i) => ({ changeset: false as const, request: requests[i] })),
        pending.every((i) => resendable(operations[i])),
        true,
        signal,
      ));
    } catch (error) {
      // The whole batch kept failing transiently (its own retries are spent): the work stays pending (B6.2).
      if (!isTransient(error)) throw error;
      for (const i of pending) outcomes[i] = transientOutcome(error);
      break;
    }
    const retry: number[] = [];
    let retryAfterMs: number | undefined;
    let throttled = false;
    // Which limit the throttled parts hit; one concurrency refusal is enough to lower the limit.
    let kind: ThrottleKind = 'budget';
    pending.forEach((i, k) => {
      const part = parts[k];
      const outcome = part ? toOutcome(operations[i], part) : missingPart();
      if (outcome.status === 'transient' && outcome.mayHaveLanded) mayHaveLanded.add(i);
      // An ETag-guarded update that may have landed is answered at once instead of re-sent (see resendable).
      const resend = outcome.status === 'transient' && (!outcome.mayHaveLanded || resendable(operations[i]));
      if (outcome.status === 'transient' && part && resend) {
        retry.push(i);
        if (part.status === 429) {
          throttled = true;
          if (throttleKindOf(parseErrorBody(part.body).crmCode) === 'concurrency') kind = 'concurrency';
        }
        retryAfterMs = Math.max(
          retryAfterMs ?? 0,
          parseRetryAfter(part.headers['retry-after'], Date.now()) ?? 0,
        );
      }
      outcomes[i] = outcome;
    });
    if (retry.length === 0) break;
    // Charged to the identity that sent the batch (its limit, its Retry-After); the others go on, and a part
    // throttled while another identity is free is sent again at once (as that one) instead of waiting.
    if (throttled) context.http.partsThrottled(sent, kind, retryAfterMs);
    const elsewhere = throttled && !!retryAfterMs && context.http.otherIdentityFree(sent.identity);
    const delay = elsewhere ? 0 : budget.next({ throttled, retryAfterMs: retryAfterMs || undefined });
    if (delay === undefined) break;
    if (delay > 0) await sleep(delay, undefined, { signal });
    pending = retry;
  }
  return outcomes.map((outcome, i) =>
    outcome?.status === 'transient' && mayHaveLanded.has(i) ? { ...outcome, mayHaveLanded: true } : outcome,
  ) as WriteOutcome[];
}

async function writeAtomic(
  context: WriteContext,
  operations: readonly WriteOperation[],
  requests: readonly BatchRequest[],
  signal: AbortSignal | undefined,
): Promise<WriteOutcome[]> {
  if (operations.length > maxBatchSize) {
    throw new CrmError(
      { errorClass: 'record', reason: 'too-large' },
      `An atomic write holds at most ${maxBatchSize} operations.`,
    );
  }
  const idempotent = operations.every(resendable);
  let items: Awaited<ReturnType<typeof sendBatchItems>>['items'];
  try {
    // One request, so one identity: a changeset is atomic only within the request that carries it.
    ({ items } = await sendBatchItems(context, [{ changeset: true, requests }], idempotent, false, signal));
  } catch (error) {
    if (!isTransient(error)) throw error;
    return operations.map(() => transientOutcome(error));
  }
  const responses = items.flatMap((item) => (item.kind === 'changeset' ? item.responses : [item.response]));
  const failed = responses.find((response) => response.status >= 400);
  if (!failed) {
    return operations.map((operation, i) => {
      const response = responses.find((r) => r.contentId === String(i + 1)) ?? responses[i];
      return response ? toOutcome(operation, response) : missingPart();
    });
  }
  // The changeset was rolled back: the failing operation gets its error, the others are rolled back. Without a
  // Content-ID the culprit is unknown, so every operation carries the error.
  const culprit = failed.contentId === undefined ? undefined : Number(failed.contentId) - 1;
  return operations.map((operation, i) =>
    culprit === undefined || culprit === i ? toOutcome(operation, failed) : { status: 'rolled-back' },
  );
}

/** Sends one `$batch` and returns the part responses flattened in request order, and the HTTP answer. */
async function sendBatch(
  context: WriteContext,
  groups: Parameters<typeof encodeBatch>[0],
  idempotent: boolean,
  continueOnError: boolean,
  signal: AbortSignal | undefined,
): Promise<{ parts: (BatchPartResponse | undefined)[]; sent: HttpResponse }> {
  const { items, sent } = await sendBatchItems(context, groups, idempotent, continueOnError, signal);
  return { parts: items.map((item) => (item.kind === 'response' ? item.response : item.responses[0])), sent };
}

async function sendBatchItems(
  context: WriteContext,
  groups: Parameters<typeof encodeBatch>[0],
  idempotent: boolean,
  continueOnError: boolean,
  signal: AbortSignal | undefined,
) {
  const { contentType, body } = encodeBatch(groups);
  const response = await context.http.send({
    method: 'POST',
    path: '$batch',
    headers: {
      'content-type': contentType,
      ...(continueOnError ? { prefer: 'odata.continue-on-error' } : {}),
    },
    body,
    idempotent,
    // Without continue-on-error Dataverse answers a failed changeset with HTTP 400 and the failing part only.
    acceptStatus: [400],
    signal,
  });
  const type = response.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('multipart/')) {
    // A 400 about the batch itself (malformed), not about a part.
    const { crmCode, message } = parseErrorBody(response.text);
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      message ?? `Dataverse refused the $batch request (${response.status}).`,
      { crmCode, httpStatus: response.status },
    );
  }
  return { items: decodeBatchResponse(type, response.text), sent: response };
}

export function toOutcome(operation: WriteOperation, part: BatchPartResponse): WriteOutcome {
  if (part.status >= 200 && part.status < 300) {
    let row: Record<string, unknown>;
    try {
      row = part.body === '' ? {} : (JSON.parse(part.body) as Record<string, unknown>);
    } catch {
      row = {};
    }
    const etag = typeof row['@odata.etag'] === 'string' ? row['@odata.etag'] : part.headers['etag'];
    const id =
      (operation.kind === 'update' ? operation.id : undefined) ??
      idFromEntityUrl(part.headers['odata-entityid'] ?? part.headers['location']) ??
      operation.id ??
      firstGuid(row);
    return { status: 'ok', id: id ?? '', etag };
  }
  const { crmCode, message } = parseErrorBody(part.body);
  const classification = classifyFailure({ httpStatus: part.status, crmCode, message });
  const text = message ?? `Dataverse answered ${part.status}.`;
  switch (classification.errorClass) {
    case 'transient':
      return {
        status: 'transient',
        reason: classification.reason,
        message: text,
        mayHaveLanded: mayHaveRun({ httpStatus: part.status, crmCode, message }),
      };
    case 'field':
      return { status: 'field-error', field: classification.field ?? '', crmCode, message: text };
    case 'pass':
      throw new CrmError(classification, text, { crmCode, httpStatus: part.status });
    default:
      if (classification.reason === 'stale-etag') return { status: 'stale-etag' };
      if (
        classification.reason === 'duplicate' &&
        operation.kind === 'create' &&
        operation.id !== undefined
      ) {
        return { status: 'already-exists', id: operation.id };
      }
      return {
        status: 'rejected',
        reason: classification.reason,
        crmCode,
        message: text,
        httpStatus: part.status,
      };
  }
}

/**
 * Whether an operation may be re-sent after a failure that may have run (a lost answer, a 5xx): a create with a
 * client id (a second attempt answers "already exists", B7.2) or an update without an ETag (`If-Match: *`
 * re-applies the same values). Not an ETag-guarded update (B4.5): if the first attempt landed, a re-send can only
 * meet its own new version (412), and the back-off before it leaves the caller deciding from a stale base while
 * the CRM moves on (issue 13 item 6). It is answered `transient` with `mayHaveLanded` at once, so the caller
 * re-reads the record and learns what landed. A failure that certainly did not run (429, a connection never
 * made) is re-sent either way.
 */
export function resendable(operation: WriteOperation): boolean {
  return operation.kind === 'create' ? operation.id !== undefined : operation.etag === undefined;
}

function isTransient(error: unknown): error is CrmError {
  return error instanceof CrmError && error.errorClass === 'transient';
}

function transientOutcome(error: CrmError): WriteOutcome {
  return {
    status: 'transient',
    reason: error.reason,
    message: error.message,
    mayHaveLanded: error.mayHaveRun,
  };
}

function missingPart(): WriteOutcome {
  return {
    status: 'transient',
    reason: 'protocol',
    message: 'Dataverse answered the batch without this part.',
    // The batch ran; whether this part did is not said.
    mayHaveLanded: true,
  };
}

function firstGuid(row: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(row)) {
    if (key.endsWith('id') && typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value)) return value;
  }
  return undefined;
}
