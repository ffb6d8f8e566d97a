import type { CrmClassification } from '../crm-error.ts';

/**
 * The one place that decides what a Dataverse failure means for the sync (behaviour.md B5.6, B6.1–B6.3, B2.5).
 * Input is what the wire gave us: the HTTP status, the `error.code` (hex, as Dataverse sends it) and
 * `error.message`, or a network error code when no response arrived. Codes and messages are those documented
 * in the protocol reference §5–§6 (dataverse-web-api.md); the CRM code wins over the HTTP status because
 * Dataverse reuses statuses (a duplicate-detection hit is documented as a 500).
 */
export interface DataverseFailure {
  readonly httpStatus?: number;
  readonly crmCode?: string;
  readonly message?: string;
  /** Node/undici error code when no HTTP response arrived (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT…). */
  readonly networkCode?: string;
}

/** Record-level CRM codes (B6.1), lower-case hex. */
const recordCodes: Readonly<Record<string, CrmClassification['reason']>> = {
  '0x80040265': 'plugin', // IsvAborted: plug-in / business rule / validation rule
  '0x80044331': 'length', // string exceeds MaxLength
  '0x8004431a': 'option', // choice value outside the option set
  '0x80040200': 'required', // RequiredFieldMissing
  '0x80040203': 'invalid-request', // InvalidArgument
  '0x80040217': 'not-found', // ObjectDoesNotExist
  '0x80040237': 'duplicate', // DuplicateRecord (alternate key / client id exists)
  // A duplicate-detection rule refused the write (documented with HTTP 500): another record looks like this one.
  // Not B7.2's "our derived-id create already ran" (that is a 412 / 0x80040237 on the same id): a record error.
  '0x80040333': 'duplicate-detected',
  '0x80060882': 'stale-etag', // ConcurrencyVersionMismatch
  '0x8004f507': 'secured-field', // FLS: update without permission
  '0x8004f502': 'secured-field', // FLS: create without permission
  '0x8004f504': 'secured-field', // FLS: read without permission
  '0x80040227': 'invalid-request', // cannot delete due to associations
};

/** Service-protection codes: always transient, whatever status they come with. */
const throttleCodes = new Set(['0x80072322', '0x80072321', '0x80072326']);

const transientNetworkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const timeoutCodes = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'TimeoutError',
  'ABORT_ERR',
]);

/**
 * Network failures where the request certainly never reached Dataverse: no connection was made (refused,
 * connect time-out, no route, DNS). Every other network failure may have happened after the request was sent.
 */
const notSentNetworkCodes = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Attribute names have no dots; "…named 'Microsoft.Dynamics.CRM.QualifyLead'" is an unknown action, not a field. */
const unknownPropertyPattern = /Could not find a property named '([^'.]+)'/i;
const entityPrivilegePattern = /missing prv\w+ privilege/i;
const expiredTokenPattern = /Version stamp associated with the client has expired/i;
const notTrackedPattern = /Change tracking is not enabled/i;
const staleEtagPattern = /version of the existing record doesn't match/i;
const duplicatePattern = /record with matching key values already exists/i;
const unknownSegmentPattern = /Resource not found for the segment '([^']+)'/i;

export function classifyFailure(failure: DataverseFailure): CrmClassification {
  const code = failure.crmCode?.toLowerCase();
  const message = failure.message ?? '';
  const status = failure.httpStatus;

  if (status === undefined) {
    if (failure.networkCode !== undefined && timeoutCodes.has(failure.networkCode)) {
      return { errorClass: 'transient', reason: 'timeout' };
    }
    if (failure.networkCode === 'ENOTFOUND') return { errorClass: 'pass', reason: 'unreachable' };
    if (failure.networkCode !== undefined && transientNetworkCodes.has(failure.networkCode)) {
      return { errorClass: 'transient', reason: 'network' };
    }
    // TLS failures (bad certificate) and anything unknown: retrying cannot help.
    return { errorClass: 'pass', reason: 'unreachable' };
  }

  if (status === 429 || (code !== undefined && throttleCodes.has(code))) {
    return { errorClass: 'transient', reason: 'throttled' };
  }
  if (code === '0x80044352' || expiredTokenPattern.test(message)) {
    return { errorClass: 'expired-cursor', reason: 'delta-expired' };
  }
  const property = unknownPropertyPattern.exec(message);
  if (property)
    return { errorClass: 'field', reason: 'unknown-property', field: lookupToLogical(property[1]) };
  if (notTrackedPattern.test(message)) return { errorClass: 'pass', reason: 'not-tracked' };
  if (status === 401) return { errorClass: 'pass', reason: 'auth' };
  if (code === '0x80040220' || (status === 403 && code === undefined)) {
    // PrivilegeDenied naming a privilege (prvReadContact) is about the whole entity; a bare access-check failure
    // is about one record (owned by a business unit the sync user cannot reach).
    return entityPrivilegePattern.test(message)
      ? { errorClass: 'pass', reason: 'entity-privilege' }
      : { errorClass: 'record', reason: 'record-privilege' };
  }
  if (code !== undefined && recordCodes[code] !== undefined) {
    return { errorClass: 'record', reason: recordCodes[code] };
  }
  if (status === 412) {
    return duplicatePattern.test(message)
      ? { errorClass: 'record', reason: 'duplicate' }
      : staleEtagPattern.test(message) || code === undefined || code === ''
        ? { errorClass: 'record', reason: 'stale-etag' }
        : { errorClass: 'record', reason: 'invalid-request' };
  }
  if (status === 404) {
    return unknownSegmentPattern.test(message)
      ? { errorClass: 'pass', reason: 'unknown-entity' }
      : { errorClass: 'record', reason: 'not-found' };
  }
  if (status === 408 || status >= 500) {
    // 501 Not Implemented is a definite answer, not a hiccup.
    return status === 501
      ? { errorClass: 'record', reason: 'invalid-request' }
      : { errorClass: 'transient', reason: status === 408 ? 'timeout' : 'server' };
  }
  if (status === 413) return { errorClass: 'record', reason: 'too-large' };
  if (status === 403) return { errorClass: 'record', reason: 'record-privilege' };
  return { errorClass: 'record', reason: 'invalid-request' };
}

/**
 * Whether a transient failure may have come after Dataverse executed the request (issue 13 item 6): a reset or
 * closed connection, a time-out waiting for the answer, a 5xx (a gateway time-out or a failure after the
 * commit). Then a write may have landed although no answer says so, and the caller must read back what the
 * CRM holds before deciding again. Not when the request certainly did not run: a 429 / service-protection
 * refusal (B6.2) or a connection that was never made (refused, connect time-out, no route, DNS). Anything
 * that is not transient got a definite answer (or none worth retrying) and is never "may have run".
 */
export function mayHaveRun(failure: DataverseFailure): boolean {
  const classification = classifyFailure(failure);
  if (classification.errorClass !== 'transient' || classification.reason === 'throttled') return false;
  if (failure.httpStatus !== undefined) return true;
  return failure.networkCode === undefined || !notSentNetworkCodes.has(failure.networkCode);
}

/** `_parentcustomerid_value` in an error message is the attribute `parentcustomerid`. */
function lookupToLogical(property: string): string {
  const lookup = /^_(.+)_value$/.exec(property);
  return lookup ? lookup[1] : property;
}

const messageUnsupportedPattern = /does not support entities of type|is not enabled on the entity/i;

/**
 * Whether a refused bulk message (`UpdateMultiple`, `CreateMultiple`) means "this table does not have the
 * message" rather than a problem with its records. Microsoft documents no Web API answer for it; seen are
 * SdkEntityDoesNotSupportMessage `0x80040800` "The '…' method does not support entities of type '…'", "… is not
 * enabled on the entity" (team), and a 404 for an unknown segment (an organisation without the action at all).
 */
export function isMessageUnsupported(failure: DataverseFailure): boolean {
  if (failure.crmCode?.toLowerCase() === '0x80040800') return true;
  if (messageUnsupportedPattern.test(failure.message ?? '')) return true;
  return failure.httpStatus === 404 && unknownSegmentPattern.test(failure.message ?? '');
}
