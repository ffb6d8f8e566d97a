import type { ErrorCode } from '../errors/codes.ts';
import { SynclineError } from '../errors/syncline-error.ts';

/**
 * How the engine must react to a CRM failure (behaviour.md B6): one vocabulary for the whole connector, decided
 * in one place (`dataverse/error-classifier.ts`).
 * - `transient`: 429, 5xx, network, time-out — retried with back-off; if it outlasts the budget the work stays
 *   pending and no person-level error is written (B6.2).
 * - `record`: this record was refused (validation, plug-in, length, option, secured field, not found, stale
 *   ETag) — recorded once per distinct error, other records continue (B6.1).
 * - `field`: an attribute the CRM does not know — quarantine that field, keep syncing the rest (B5.6).
 * - `pass`: authentication, a privilege on a whole entity, CRM unreachable — the pass fails (B6.3).
 * - `expired-cursor`: the change-tracking token expired — reconcile the entity (B2.5).
 */
export type CrmErrorClass = 'transient' | 'record' | 'field' | 'pass' | 'expired-cursor';

/** The specific cause within a class; stable strings for logs, sync errors and tests. */
export type CrmErrorReason =
  | 'throttled'
  | 'server'
  | 'network'
  | 'timeout'
  | 'stale-etag'
  | 'duplicate'
  | 'duplicate-detected'
  | 'not-found'
  | 'plugin'
  | 'length'
  | 'option'
  | 'required'
  | 'secured-field'
  | 'record-privilege'
  | 'invalid-request'
  | 'too-large'
  | 'unknown-property'
  | 'auth'
  | 'entity-privilege'
  | 'unreachable'
  | 'unknown-entity'
  | 'not-tracked'
  | 'delta-expired'
  | 'protocol';

export interface CrmClassification {
  readonly errorClass: CrmErrorClass;
  readonly reason: CrmErrorReason;
  /** For `field`: the attribute's logical name. */
  readonly field?: string;
}

/** A classified CRM failure. Its message is the CRM's own text (never a token or secret). */
export class CrmError extends SynclineError {
  readonly errorClass: CrmErrorClass;
  readonly reason: CrmErrorReason;
  readonly crmCode: string | undefined;
  readonly httpStatus: number | undefined;
  readonly field: string | undefined;
  /**
   * The request may have been executed although no answer says so (a transient failure after it reached the
   * CRM: a reset connection, a time-out, a 5xx — on any attempt, the retries included). A write that fails
   * this way is ambiguous: what landed must be read back before deciding again (B4.1, issue 13 item 6).
   */
  readonly mayHaveRun: boolean;

  constructor(
    classification: CrmClassification,
    message: string,
    options: { crmCode?: string; httpStatus?: number; cause?: unknown; mayHaveRun?: boolean } = {},
  ) {
    super(codeFor(classification), message, {
      cause: options.cause,
      details: {
        errorClass: classification.errorClass,
        reason: classification.reason,
        ...(options.crmCode === undefined ? {} : { crmCode: options.crmCode }),
        ...(options.httpStatus === undefined ? {} : { httpStatus: options.httpStatus }),
        ...(classification.field === undefined ? {} : { field: classification.field }),
      },
    });
    this.name = 'CrmError';
    this.errorClass = classification.errorClass;
    this.reason = classification.reason;
    this.crmCode = options.crmCode;
    this.httpStatus = options.httpStatus;
    this.field = classification.field;
    this.mayHaveRun = options.mayHaveRun ?? false;
  }
}

export function isCrmError(value: unknown): value is CrmError {
  return value instanceof CrmError;
}

function codeFor(classification: CrmClassification): ErrorCode {
  switch (classification.reason) {
    case 'throttled':
      return 'CRM_THROTTLED';
    case 'server':
      return 'CRM_SERVER_ERROR';
    case 'network':
    case 'timeout':
    case 'unreachable':
      return 'CRM_UNREACHABLE';
    case 'auth':
      return 'CRM_AUTH_FAILED';
    case 'entity-privilege':
      return 'CRM_PRIVILEGE_MISSING';
    case 'unknown-entity':
    case 'not-tracked':
      return 'CRM_ENTITY_UNAVAILABLE';
    case 'unknown-property':
      return 'CRM_FIELD_UNKNOWN';
    case 'delta-expired':
      return 'CRM_CURSOR_EXPIRED';
    case 'protocol':
      return 'CRM_PROTOCOL_ERROR';
    default:
      return 'CRM_REJECTED';
  }
}
