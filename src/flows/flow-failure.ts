import type { WriteOutcome } from '../connectors/connector.ts';
import { recordSyncFailure } from '../engine/engine.ts';
import type { ErrorCode } from '../errors/codes.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import type { Store } from '../store/store.ts';
import type { LinkedEntity } from '../store/link-store.ts';

/** A flow action the CRM refused, as recorded for the person (B6.1, B7.3). */
export interface FlowFailure {
  readonly entity: LinkedEntity | 'task';
  /** The record the action wrote or meant to create (the derived lead id for a refused create). */
  readonly crmId: string;
  readonly personId: string;
  /** create, qualify, assign, create-task. */
  readonly operation: string;
  readonly code: string;
  readonly message: string;
}

/**
 * B7.3: a refused flow action is recorded like any refused write (B6.1: a sync error once per distinct error,
 * one `crm.sync-failed` activity), marked `source: 'flow'` on the activity.
 */
export async function recordFlowFailure(store: Store, failure: FlowFailure): Promise<void> {
  await recordSyncFailure(store, { ...failure, source: 'flow' });
}

/**
 * Returns when the CRM accepted the write (`accepted` statuses, default `ok`); otherwise records a refusal
 * (B7.3) and throws 422 CRM_REJECTED with the CRM's code and message, or throws the transient or protocol
 * error. `what` names the operation in messages ("creating the lead").
 */
export async function requireAccepted(
  store: Store,
  outcome: WriteOutcome,
  failure: Omit<FlowFailure, 'code' | 'message'>,
  what: string,
  accepted: readonly WriteOutcome['status'][] = ['ok'],
): Promise<void> {
  if (accepted.includes(outcome.status)) return;
  if (outcome.status === 'rejected') {
    const code = crmCodeOf(outcome);
    await recordFlowFailure(store, { ...failure, code, message: outcome.message });
    throw crmRejected(what, code, outcome.message);
  }
  if (outcome.status === 'transient') throw crmTransient(what, outcome.reason, outcome.message);
  throw unexpectedOutcome(what, outcome);
}

/** The CRM's code of a refused write: its own (`0x80040265`) or, when it gave none, the connector's reason. */
function crmCodeOf(outcome: Extract<WriteOutcome, { status: 'rejected' }>): string {
  return outcome.crmCode ?? outcome.reason;
}

/** 422 CRM_REJECTED carrying the CRM's message and code (interfaces.md §4 flow actions). */
export function crmRejected(what: string, crmCode: string, message: string): SynclineError {
  return new SynclineError('CRM_REJECTED', `The CRM rejected ${what}: ${message}`, {
    details: { crmCode, crmMessage: message },
  });
}

/**
 * A write still failing after the connector's retries (429, 5xx, network): nothing was linked, and a retry of
 * the action is safe because creates carry derived ids (B7.2).
 */
export function crmTransient(what: string, reason: string, message: string): SynclineError {
  const code: ErrorCode =
    reason === 'throttled' ? 'CRM_THROTTLED' : reason === 'server' ? 'CRM_SERVER_ERROR' : 'CRM_UNREACHABLE';
  return new SynclineError(
    code,
    `The CRM did not complete ${what} (${message}). Retrying the action is safe: it never creates a second record.`,
    { details: { reason } },
  );
}

/** Outcomes a single create/update never produces unless the protocol went wrong. */
function unexpectedOutcome(what: string, outcome: WriteOutcome): SynclineError {
  return new SynclineError('CRM_PROTOCOL_ERROR', `Unexpected CRM answer to ${what}: ${outcome.status}.`, {
    details: { status: outcome.status },
  });
}
