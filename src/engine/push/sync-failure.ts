import type { Store } from '../../store/store.ts';

/** A write the CRM refused for one record (B6.1): a push's update, or a flow action's create/qualify/assign. */
export interface SyncFailure {
  /** lead, contact, or `task` for a flow's task. */
  readonly entity: string;
  /** The record written, or meant to be created (a flow's derived lead id). */
  readonly crmId: string;
  readonly personId: string;
  /** update, create, qualify, assign, create-task. */
  readonly operation: string;
  /** The CRM's code (`0x80040265`), or a Syncline code such as VALUE_NOT_ACCEPTED. */
  readonly code: string;
  readonly message: string;
  /** Set when a flow action failed (B7.3), so the activity tells it apart from the background sync's. */
  readonly source?: 'flow';
}

/**
 * B6.1 in one place: a record-level failure is a sync error once per distinct error (a recurrence only counts
 * up and moves its last-seen time) and, when it is new, one `crm.sync-failed` activity on the person. The
 * person keeps its value; nothing is retried here. Runs on `store` (a transaction or not, the caller's choice).
 * `isNew` tells the caller whether this error is new (the pass counts and announces those, B6.6).
 */
export async function recordSyncFailure(store: Store, failure: SyncFailure): Promise<{ isNew: boolean }> {
  const { source, ...error } = failure;
  const { isNew } = await store.recordSyncError({ ...error, direction: 'toCrm' });
  if (isNew) {
    await store.appendActivity(failure.personId, 'crm.sync-failed', {
      entity: failure.entity,
      crmId: failure.crmId,
      operation: failure.operation,
      code: failure.code,
      message: failure.message,
      ...(source === undefined ? {} : { source }),
    });
  }
  return { isNew };
}
