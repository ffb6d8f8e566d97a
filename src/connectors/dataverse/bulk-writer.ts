import type { UpdateOperation, WriteOutcome } from '../connector.ts';
import { CrmError } from '../crm-error.ts';
import type { BatchRequest } from './batch-codec.ts';
import type { DataverseHttp } from './dataverse-http.ts';
import { parseErrorBody } from './dataverse-http.ts';
import { isMessageUnsupported } from './error-classifier.ts';

/** What one UpdateMultiple chunk needs; `fallback` writes the same operations as `$batch` continue-on-error. */
export interface BulkChunk {
  readonly http: DataverseHttp;
  readonly entitySetName: string;
  readonly primaryIdAttribute: string;
  /** Entities whose table answered that it has no UpdateMultiple: later chunks go straight to `$batch`. */
  readonly unsupported: Set<string>;
  readonly operations: readonly UpdateOperation[];
  /** The `$batch` requests of the same operations (their bodies are the targets' columns). */
  readonly requests: readonly BatchRequest[];
  readonly fallback: () => Promise<WriteOutcome[]>;
  readonly signal: AbortSignal | undefined;
}

/**
 * Statuses of a refused UpdateMultiple that concern its records (validation, plug-in, privilege, stale ETag,
 * missing record, size), answered here instead of thrown so the chunk can be re-sent per record.
 */
const recordLevelStatuses = [400, 403, 404, 409, 412, 413];

/**
 * Sends updates of one entity as one `UpdateMultiple` (performance anchors §2: one request, charged once, instead
 * of one inner request per record in `$batch`). Each target carries `@odata.etag` when the operation has an
 * ETag. Whether Dataverse honours it is undocumented (reference §13): the record writer sends a table's updates
 * here only when the composition root said the write-path probe proved it on this organisation (B4.5,
 * `write-path-probe.ts`); otherwise they go as `$batch` with per-request `If-Match`.
 *
 * On standard tables any failing target rolls the whole request back and the answer names only that target's
 * error. Microsoft's advice is then to fall back to `$batch`/ExecuteMultiple: the chunk is re-sent with
 * `continue-on-error` and per-operation `If-Match`, so every record gets its own outcome (the port contract:
 * one outcome per operation, never a throw for a record problem). Success answers 204 without ETags: the
 * outcomes carry none, and the next read of the record brings the new one.
 */
export async function updateMultiple(chunk: BulkChunk): Promise<WriteOutcome[]> {
  const { operations, requests } = chunk;
  const entity = operations[0].entity;
  const targets = operations.map((operation, i) => ({
    '@odata.type': `Microsoft.Dynamics.CRM.${entity}`,
    ...(requests[i].body as Record<string, unknown>),
    [chunk.primaryIdAttribute]: operation.id,
    ...(operation.etag === undefined ? {} : { '@odata.etag': operation.etag }),
  }));
  let response;
  try {
    response = await chunk.http.send({
      method: 'POST',
      path: `${chunk.entitySetName}/Microsoft.Dynamics.CRM.UpdateMultiple`,
      body: { Targets: targets },
      // Not re-sent after a failure that may have run: a first attempt that committed would make every target
      // meet its own new version (412), and the caller learns sooner what landed by re-reading (record-writer `resendable`).
      idempotent: operations.every((operation) => operation.etag === undefined),
      acceptStatus: recordLevelStatuses,
      signal: chunk.signal,
    });
  } catch (error) {
    if (error instanceof CrmError && error.errorClass === 'transient') {
      // The retry budget is spent: the records stay pending for the next pass (B6.2).
      return operations.map(() => ({
        status: 'transient',
        reason: error.reason,
        message: error.message,
        mayHaveLanded: error.mayHaveRun,
      }));
    }
    throw error;
  }
  if (response.status >= 200 && response.status < 300) {
    return operations.map((operation) => ({ status: 'ok', id: operation.id, etag: undefined }));
  }
  const { crmCode, message } = parseErrorBody(response.text);
  // A table without the message: remember it and stop asking (the chunk's records were not touched).
  if (isMessageUnsupported({ httpStatus: response.status, crmCode, message })) chunk.unsupported.add(entity);
  return chunk.fallback();
}
