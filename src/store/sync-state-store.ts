import type { SyncField, SyncFieldInput, SyncFieldState } from '../domain/sync-field.ts';
import type { FieldPolicy } from '../domain/field-policy.ts';
import type { Page, PageRequest } from './store.ts';
import type { Person, PersonValue } from '../domain/person.ts';

/**
 * The sync engine's own state (behaviour.md B2–B7), part of the `Store` port. Everything here is written by
 * the engine (and read by the sync-administration API); it is designed so that one pass can apply a page of
 * changes, the bases and the cursor in one `withTransaction` (B2.4).
 */

/** The CRM entities a person links to (B1.1). */
export type LinkedEntity = 'lead' | 'contact';

/**
 * A person ⇄ CRM record link (B3.1: by CRM id, never by email). `state`:
 * - `active`: synced both ways;
 * - `excluded`: the record's sync filter is false (B3.7) — kept, but receives no updates;
 * - `deleted`: the CRM record was deleted (B3.6);
 * - `superseded`: the record was qualified or merged away (B3.4, B3.5); kept so late references resolve.
 */
export type LinkState = 'active' | 'excluded' | 'deleted' | 'superseded';

export interface CrmLink {
  readonly entity: LinkedEntity;
  readonly crmId: string;
  readonly personId: string;
  readonly state: LinkState;
  /** The record's ETag as last read or written (B4.5 `If-Match`). */
  readonly etag: string | null;
  /** The record's `versionnumber`/`modifiedon` as last seen, for watermark fallbacks (B2.3). */
  readonly version: string | null;
  readonly linkedAt: string;
  readonly updatedAt: string;
}

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
}

export type BackfillStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface BackfillJob {
  readonly id: string;
  readonly entity: string;
  readonly attributes: readonly string[];
  readonly status: BackfillStatus;
  readonly processed: number;
  readonly total: number | null;
  /** Where to resume after a crash (an opaque paging position of the engine's). */
  readonly position: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

export type BackfillPatch = Partial<
  Pick<BackfillJob, 'status' | 'processed' | 'total' | 'position' | 'error' | 'finishedAt'>
>;

/** A trigger campaign (B7.5). Trigger, filters and steps are validated by the API; stored as given. */
export interface CampaignInput {
  readonly name: string;
  readonly enabled: boolean;
  readonly trigger: Readonly<Record<string, unknown>>;
  readonly filters: readonly Readonly<Record<string, unknown>>[];
  readonly steps: readonly Readonly<Record<string, unknown>>[];
}

export interface Campaign extends CampaignInput {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type CampaignRunStatus = 'running' | 'succeeded' | 'failed';

export interface CampaignRun {
  readonly id: string;
  readonly campaignId: string;
  readonly personId: string;
  readonly status: CampaignRunStatus;
  /** One entry per step that ran, with its outcome. */
  readonly results: readonly Readonly<Record<string, unknown>>[];
  readonly error: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

/** A linked record with marketing-side changes still to be written to the CRM (the outbox, B2.4). */
export interface PendingPush {
  readonly entity: LinkedEntity;
  readonly crmId: string;
  readonly personId: string;
  /** Attributes to push even where they equal their base; null = every field that differs from its base. */
  readonly fields: readonly string[] | null;
  /** Bumped by each mark; `clearPendingPush` with an older generation leaves a newer mark in place. */
  readonly generation: number;
  /** When the record first became pending (oldest pending, B6.5). */
  readonly since: string;
}

export interface SyncStateStore {
  // --- links person ⇄ CRM record (B3) -------------------------------------------------------------

  /** Creates or replaces the link of one CRM record. Throws NOT_FOUND when the person does not exist. */
  upsertLink(link: Omit<CrmLink, 'linkedAt' | 'updatedAt'>): Promise<CrmLink>;
  /**
   * `upsertLink` for a page of records in multi-row statements (one CRM record at most once). An unknown
   * person fails the whole call (foreign key) instead of a NOT_FOUND naming it.
   */
  upsertLinks(links: readonly Omit<CrmLink, 'linkedAt' | 'updatedAt'>[]): Promise<void>;
  getLink(entity: LinkedEntity, crmId: string): Promise<CrmLink | undefined>;
  /** Many records at once (a page of CRM changes); unknown ids are absent from the map. */
  getLinks(entity: LinkedEntity, crmIds: readonly string[]): Promise<Map<string, CrmLink>>;
  /** Every link of a person, active first, then newest first. */
  listLinksOfPerson(personId: string): Promise<CrmLink[]>;
  /** Removes the link and its bases; false when there was none. */
  deleteLink(entity: LinkedEntity, crmId: string): Promise<boolean>;

  // --- per-record per-field base values (B4.1) ------------------------------------------------------

  /**
   * The bases of one linked record: field → the value both sides agreed on at the last sync. A field
   * without a base is absent (which differs from a base of null).
   */
  getBases(entity: string, crmId: string): Promise<Map<string, PersonValue>>;
  /** Bases of many records at once: crmId → (field → value). */
  getBasesOf(entity: string, crmIds: readonly string[]): Promise<Map<string, Map<string, PersonValue>>>;
  /** Sets (or with `undefined` removes) the given fields' bases; other fields are untouched. */
  setBases(
    entity: string,
    crmId: string,
    values: Readonly<Record<string, PersonValue | undefined>>,
  ): Promise<void>;

  /** `setBases` for many records of one entity in multi-row statements. */
  setBasesOf(
    entity: string,
    items: readonly { crmId: string; values: Readonly<Record<string, PersonValue | undefined>> }[],
  ): Promise<void>;

  // --- cursors (B2.4) ---------------------------------------------------------------------------------

  /** Named cursors: delta links per entity, watermarks, the marketing change cursor, backfill positions. */
  getCursor(name: string): Promise<string | undefined>;
  /** Advance only inside the transaction that applied everything read up to it (B2.4). */
  setCursor(name: string, value: string): Promise<void>;
  deleteCursor(name: string): Promise<void>;

  // --- field selection and states (B5) ----------------------------------------------------------------

  /** Sorted by entity, attribute. */
  listSyncFields(entity?: string): Promise<SyncField[]>;
  /** Inserts or replaces the given fields (others untouched). */
  upsertSyncFields(fields: readonly SyncFieldInput[]): Promise<void>;
  /** Changes one field's state (and reason); false when the field is unknown. */
  setSyncFieldState(
    entity: string,
    attribute: string,
    state: SyncFieldState,
    reason: string | null,
  ): Promise<boolean>;

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

  // --- conflicts (B4.3) -------------------------------------------------------------------------------

  recordConflict(conflict: ConflictInput): Promise<ConflictRecord>;
  /** Newest first. */
  listConflicts(query: PageRequest & { personId?: string }): Promise<Page<ConflictRecord>>;

  // --- passes (B2.1, B6.5) ----------------------------------------------------------------------------

  startPass(trigger: string): Promise<PassRecord>;
  /** False when the pass does not exist. */
  finishPass(
    id: string,
    outcome: { status: Exclude<PassStatus, 'running'>; counts: Record<string, number>; error: string | null },
  ): Promise<boolean>;
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

  addNotification(notification: {
    type: string;
    message: string;
    details?: Record<string, unknown>;
  }): Promise<NotificationRecord>;
  /** Newest first. */
  listNotifications(page: PageRequest): Promise<Page<NotificationRecord>>;
  /** False when the notification does not exist. */
  markNotificationRead(id: string): Promise<boolean>;

  // --- backfill jobs (B5.5) ---------------------------------------------------------------------------

  createBackfillJob(job: { entity: string; attributes: readonly string[] }): Promise<BackfillJob>;
  getBackfillJob(id: string): Promise<BackfillJob | undefined>;
  /** Oldest first; `status` filters (all statuses when absent). */
  listBackfillJobs(query: PageRequest & { status?: readonly BackfillStatus[] }): Promise<Page<BackfillJob>>;
  /** Undefined when the job does not exist. */
  updateBackfillJob(id: string, patch: BackfillPatch): Promise<BackfillJob | undefined>;

  // --- trigger campaigns and their runs (B7.5) --------------------------------------------------------

  createCampaign(campaign: CampaignInput): Promise<Campaign>;
  getCampaign(id: string): Promise<Campaign | undefined>;
  /** Oldest first. */
  listCampaigns(page: PageRequest): Promise<Page<Campaign>>;
  /** Replaces the campaign; undefined when it does not exist. */
  updateCampaign(id: string, campaign: CampaignInput): Promise<Campaign | undefined>;
  /** Deletes the campaign and its runs; false when it did not exist. */
  deleteCampaign(id: string): Promise<boolean>;
  startCampaignRun(campaignId: string, personId: string): Promise<CampaignRun>;
  finishCampaignRun(
    id: string,
    outcome: {
      status: Exclude<CampaignRunStatus, 'running'>;
      results: Record<string, unknown>[];
      error: string | null;
    },
  ): Promise<boolean>;
  /** Newest first. */
  listCampaignRuns(campaignId: string, page: PageRequest): Promise<Page<CampaignRun>>;

  // --- person merges (B3.4, B3.5) ---------------------------------------------------------------------

  /**
   * Folds `loserId` into `survivorId`: activities, links and conflicts move to the survivor, the loser is
   * deleted (a `delete` change), and `resolvePersonId(loserId)` answers the survivor from then on. Merging
   * the field values is the engine's job (it updates the survivor first). NOT_FOUND if either is missing.
   */
  mergePersonInto(loserId: string, survivorId: string, origin: 'sync' | 'flow' | 'system'): Promise<void>;
  /** The id itself when the person exists, its survivor after merges, or undefined. */
  resolvePersonId(id: string): Promise<string | undefined>;

  // --- the pending-push outbox (B2.4, B4.2) ------------------------------------------------------------

  /**
   * Marks a linked record as having marketing-side values to push. Commit it in the transaction that made
   * the decision, so a crash never loses it. Marks merge: `null` (every differing field) absorbs lists.
   */
  markPendingPush(
    entity: LinkedEntity,
    crmId: string,
    personId: string,
    fields: readonly string[] | null,
  ): Promise<void>;
  getPendingPush(entity: LinkedEntity, crmId: string): Promise<PendingPush | undefined>;
  /** Oldest mark first; optionally one entity or one record. */
  listPendingPushes(
    query: PageRequest & { entity?: LinkedEntity; crmId?: string },
  ): Promise<Page<PendingPush>>;
  /** Removes the mark unless it was re-marked after `generation` was read; true when removed. */
  clearPendingPush(entity: LinkedEntity, crmId: string, generation: number): Promise<boolean>;
  /**
   * Settles a chunk of pushes the CRM accepted, in one statement each instead of one per record:
   * `clearPendingPush` for every item (a newer mark stays) and, where `resolveErrors`, `resolveSyncErrorsOf`.
   * Returns how many marks were removed.
   */
  settlePushes(
    entity: LinkedEntity,
    items: readonly { crmId: string; generation: number; resolveErrors: boolean }[],
  ): Promise<number>;
  /** Per entity: how many records are pending and since when (status, B6.5). */
  pendingPushSummary(): Promise<Record<string, { pending: number; oldestPendingAt: string | null }>>;

  // --- lookups the engine needs -------------------------------------------------------------------------

  /** Every link of an entity, by CRM id (the reconcile sweep of B2.5). */
  listLinks(entity: LinkedEntity, page: PageRequest): Promise<Page<CrmLink>>;
  /** Persons whose `crmAccountId` is the account (B1.4 fan-out). */
  countPersonsOfAccount(accountId: string): Promise<number>;
  listPersonsOfAccount(accountId: string, page: PageRequest): Promise<Page<Person>>;
}
