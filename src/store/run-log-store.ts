import type { PersonValue } from '../domain/person.ts';
import type { Page, PageRequest } from './person-store.ts';

/**
 * What the sync reports about itself (B6): the passes and their counts, per-minute throughput, notifications,
 * record-level sync errors (one row per distinct error) and the conflict log of collisions (B4.3). Written by
 * the engine, read by the sync administration (status, errors, conflicts pages). Part of `Store` (store.ts);
 * both backends pass tests/contract/register-run-log-store-tests.ts.
 */

export type SyncDirection = 'toCrm' | 'fromCrm';

export interface SyncErrorInput {
  readonly entity: string;
  readonly crmId: string | null;
  readonly personId: string | null;
  readonly direction: SyncDirection;
  /** create, update, delete, read, qualify, assign, … */
  readonly operation: string;
  /** The CRM's error code (e.g. `0x80040265`) or a Syncline code. */
  readonly code: string;
  readonly message: string;
}

/** open → retry (an admin asked for a retry) → resolved (a later attempt succeeded); recurring reopens. */
export type SyncErrorStatus = 'open' | 'retry' | 'resolved';

export interface SyncErrorRecord extends SyncErrorInput {
  readonly id: string;
  readonly status: SyncErrorStatus;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
}

export interface ConflictInput {
  readonly personId: string;
  readonly entity: string;
  readonly crmId: string;
  readonly field: string;
  readonly baseValue: PersonValue;
  readonly marketingValue: PersonValue;
  readonly crmValue: PersonValue;
  /** Which side's value was kept (B4.3); the other one is preserved here. */
  readonly winner: 'marketing' | 'crm';
}

export interface ConflictRecord extends ConflictInput {
  readonly id: string;
  readonly at: string;
}

export type PassStatus = 'running' | 'succeeded' | 'failed' | 'aborted';

export interface PassRecord {
  readonly id: string;
  /** schedule, manual, resync, initial-load… */
  readonly trigger: string;
  readonly status: PassStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** Per-entity/direction counts, e.g. `{ "contact.fromCrm.updated": 12 }`. */
  readonly counts: Readonly<Record<string, number>>;
  readonly error: string | null;
}

export interface PassSummary {
  /** Passes that finished, whatever the outcome — `passes.completed` of the status (interfaces.md §4). */
  readonly completed: number;
  readonly lastStartedAt: string | null;
  readonly lastFinishedAt: string | null;
  /** The error of the last finished pass, null when it succeeded. */
  readonly lastError: string | null;
}

export interface NotificationRecord {
  readonly id: string;
  /** initial-load-done, backfill-done, pass-failed, field-quarantined, new-failing-records (B6.6). */
  readonly type: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly at: string;
  readonly readAt: string | null;
  /** Its POST to `SYNCLINE_NOTIFY_URL` (B6.6); null when none was configured as it was written. */
  readonly delivery: NotificationDelivery | null;
}

/** pending (being sent or waiting for a retry), delivered (the receiver answered 2xx), failed (given up). */
export type NotificationDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NotificationDelivery {
  readonly status: NotificationDeliveryStatus;
  /** POSTs made so far. */
  readonly attempts: number;
  /** While pending: when the next attempt is due. */
  readonly nextAttemptAt: string | null;
  /** What the last failed attempt got (an HTTP status, a network error); never a URL or a secret. */
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

export interface RunLogStore {
  // --- passes (B2.1, B6.5) ----------------------------------------------------------------------------

  startPass(trigger: string): Promise<PassRecord>;
  /** False when the pass does not exist. */
  finishPass(
    id: string,
    outcome: { status: Exclude<PassStatus, 'running'>; counts: Record<string, number>; error: string | null },
  ): Promise<boolean>;
  /**
   * Marks every pass still `running` as `aborted` with `error`; returns how many. The engine calls it as it
   * starts: one engine runs passes (B2.9), so a pass still running then was cut short by a crash, a kill or a
   * lost lease, and its own `finishPass` never came (or was refused by the fence).
   */
  abortRunningPasses(error: string): Promise<number>;
  /** Newest first. */
  listPasses(page: PageRequest): Promise<Page<PassRecord>>;
  getPassSummary(): Promise<PassSummary>;
  /** Adds `count` synced records to the per-minute throughput of an entity and direction (B6.5). */
  addSyncedCount(entity: string, direction: SyncDirection, count: number, at?: string): Promise<void>;
  /** Records synced since `since` (minute granularity). */
  countSynced(entity: string, direction: SyncDirection, since: string): Promise<number>;
  /** Drops throughput buckets older than `before`; returns how many. */
  pruneSyncedCounts(before: string): Promise<number>;

  // --- notifications (B6.6) ---------------------------------------------------------------------------

  /** `deliver`: also to be POSTed to `SYNCLINE_NOTIFY_URL` (written pending, due now). */
  addNotification(notification: {
    type: string;
    message: string;
    details?: Record<string, unknown>;
    deliver?: boolean;
  }): Promise<NotificationRecord>;
  /** Newest first. */
  listNotifications(page: PageRequest): Promise<Page<NotificationRecord>>;
  /** False when the notification does not exist. */
  markNotificationRead(id: string): Promise<boolean>;

  // --- sync errors (B6.1) -----------------------------------------------------------------------------

  /**
   * Records a record-level failure once per distinct error (same entity, record, person, direction,
   * operation, code and message): a repeat bumps `count` and `lastSeen` and reopens a resolved one.
   * `isNew` is true on the first occurrence (and on reopening) — the engine writes the `crm.sync-failed`
   * activity only then.
   */
  recordSyncError(error: SyncErrorInput): Promise<{ error: SyncErrorRecord; isNew: boolean }>;
  getSyncError(id: string): Promise<SyncErrorRecord | undefined>;
  /**
   * Newest `lastSeen` first. `q` matches code, message or CRM id case-insensitively; `status` defaults to
   * open and retry (not resolved).
   */
  listSyncErrors(
    query: PageRequest & { entity?: string; q?: string; status?: readonly SyncErrorStatus[] },
  ): Promise<Page<SyncErrorRecord>>;
  /** False when the error does not exist. */
  setSyncErrorStatus(id: string, status: SyncErrorStatus): Promise<boolean>;
  /** Marks every open error of one record resolved (a later push succeeded); returns how many. */
  resolveSyncErrorsOf(entity: string, crmId: string): Promise<number>;
  /**
   * Bounded storage: deletes the errors last seen before `before`, whatever their status (the retention the
   * operator chose, 90 days by default; the original keeps 5); returns how many. A failure that happens again
   * later is recorded afresh.
   */
  pruneSyncErrors(before: string): Promise<number>;
  /** How many errors are kept: `open` counts open and retry (what the errors page lists), `total` all. */
  countSyncErrors(): Promise<{ open: number; total: number }>;

  // --- conflicts (B4.3) -------------------------------------------------------------------------------

  /** Kept with the person: deleted with it, moved to the survivor by `mergePersonInto`. */
  recordConflict(conflict: ConflictInput): Promise<ConflictRecord>;
  /** Newest first. */
  listConflicts(query: PageRequest & { personId?: string }): Promise<Page<ConflictRecord>>;
}
