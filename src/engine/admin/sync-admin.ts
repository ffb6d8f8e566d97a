import type { IdentityStats } from '../../connectors/connector.ts';
import type { SyncFieldView } from '../../domain/sync-field.ts';
import type { LatencySummary } from './sync-latency.ts';
import type { EntityBacklog } from './crm-backlog.ts';
import type { FieldPolicy } from '../../domain/field-policy.ts';
import type { Page, PageRequest } from '../../store/person-store.ts';
import type {
  ConflictRecord,
  NotificationRecord,
  PassRecord,
  SyncErrorRecord,
  SyncErrorStatus,
} from '../../store/run-log-store.ts';

/**
 * What the sync-administration API (interfaces.md §4 "Sync administration") and the CLI ask of the engine.
 * The engine implements it (`engine-admin.ts`); the API routes only validate, call and serialise.
 *
 * Failures: bad input throws `SynclineError` (VALIDATION_FAILED, NOT_FOUND, CONFLICT, NOT_SUPPORTED) and changes
 * nothing; CRM failures surface as `CrmError` (a `SynclineError` with a CRM_* code).
 */
export interface SyncAdmin {
  status(): Promise<SyncStatus>;
  /** B8.1; returns the new status. */
  setEnabled(enabled: boolean): Promise<SyncStatus>;
  /** B8.2: a pass starts as soon as none is running; the schedule after it is unchanged. */
  requestPass(): Promise<{ requested: true }>;
  listPasses(page: PageRequest): Promise<Page<PassRecord>>;
  /** B8.2: re-read both sides of one record and merge now. NOT_FOUND when the person/record is unknown or unlinked. */
  resync(target: { personId: string } | { entity: 'lead' | 'contact'; crmId: string }): Promise<ResyncResult>;
  /** B8.2: what the next pass would write, per side, without writing anything. */
  preview(): Promise<SyncPreview>;
  /** `GET /api/v1/sync/fields`. */
  listFields(): Promise<SyncFieldView[]>;
  /**
   * `PUT /api/v1/sync/fields` (B5.4–B5.6): refreshes the schema, saves, starts backfills; returns the new list.
   * An attribute the CRM does not have → CRM_FIELD_CREATION_NOT_SUPPORTED (B5.7); an entity that is not
   * synced, or an attribute that is not selectable or readable → VALIDATION_FAILED; deselecting a queued or backfilling
   * field → CONFLICT (409).
   */
  saveFields(selection: FieldSelection): Promise<SyncFieldView[]>;
  listErrors(query: PageRequest & { entity?: string; q?: string }): Promise<Page<SyncErrorRecord>>;
  /** Marks the error for retry and pushes the record again now; NOT_FOUND for an unknown id. */
  retryError(id: string): Promise<SyncErrorRecord>;
  listConflicts(query: PageRequest & { personId?: string }): Promise<Page<ConflictRecord>>;
  listNotifications(page: PageRequest): Promise<Page<NotificationRecord>>;
}

export interface EntityStatus {
  readonly toCrm: { readonly pending: number; readonly oldestPendingAt: string | null };
  /** What the next pass would read from the CRM (crm-backlog.ts `EntityBacklog`: how it was counted, when). */
  readonly fromCrm: EntityBacklog;
  readonly syncedLastHour: number;
  readonly syncedLast24h: number;
  /** Pending work grew between the last two status samples. */
  readonly growing: boolean;
  /** Seconds until the push backlog drains at the last hour's push rate; null when unknown or empty. */
  readonly etaSeconds: number | null;
  /**
   * Lead and contact: how updates reach the CRM (B4.5) — `bulk` (UpdateMultiple, its stale-ETag refusal proven
   * on this organisation by the probe) or `batch` (`$batch` with per-request If-Match, the default).
   */
  readonly writePath?: 'bulk' | 'batch';
}

export interface SyncStatus {
  readonly enabled: boolean;
  readonly state: 'idle' | 'running' | 'disabled' | 'failed';
  readonly nextPassAt: string | null;
  readonly passes: {
    readonly completed: number;
    readonly lastStartedAt: string | null;
    readonly lastFinishedAt: string | null;
    readonly lastError: string | null;
  };
  /**
   * B2.6, persisted (a restart resumes the bar): rows the initial load applied, of `total` — the sum of the CRM's
   * `RetrieveTotalRecordCount` snapshots ("within the last 24 hours", so the load may end above it), asked at
   * `totalCountedAt`; null when the CRM could not tell. Per entity too.
   */
  readonly initialLoad: {
    readonly done: boolean;
    readonly processed: number;
    readonly total: number | null;
    readonly totalCountedAt: string | null;
    readonly entities: readonly {
      readonly entity: string;
      readonly processed: number;
      readonly total: number | null;
      readonly done: boolean;
    }[];
  };
  /** The sync errors kept (B6.1): `open` (open or retry, what the errors page lists) and `total`, each kept `retentionDays`. */
  readonly errors: { readonly open: number; readonly total: number; readonly retentionDays: number };
  readonly entities: Readonly<Record<string, EntityStatus>>;
  /**
   * The CRM connection's application users (interfaces.md §2): requests and throttling of each since start —
   * Dataverse's limits are per user, so a user throttled far more than the others points at its budget being
   * shared with another integration.
   */
  readonly crm?: { readonly identities: readonly IdentityStats[] };
  /**
   * B2.8: p50/p95/p99 of the changes carried in the last hour, per direction — from the CRM's `modifiedon` or the
   * marketing commit to the other side's commit (admin/sync-latency.ts); null figures when none was carried.
   */
  readonly latency: LatencySummary;
  readonly backfills: readonly {
    readonly id: string;
    readonly entity: string;
    readonly attributes: readonly string[];
    readonly status: string;
    readonly processed: number;
    readonly total: number | null;
  }[];
}

/** Entity → attributes to sync; an item may carry a per-field policy override (B4.6, null = the entity rule). */
export type FieldSelection = Readonly<
  Record<string, readonly (string | { readonly attribute: string; readonly policy: FieldPolicy | null })[]>
>;

export interface ResyncResult {
  readonly personId: string;
  readonly entity: 'lead' | 'contact';
  readonly crmId: string;
  /** Fields written to each side by the resync. */
  readonly toMarketing: readonly string[];
  readonly toCrm: readonly string[];
}

export interface PreviewWrite {
  readonly entity: string;
  readonly crmId: string | null;
  readonly personId: string | null;
  readonly operation: 'create' | 'update' | 'delete';
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface SyncPreview {
  readonly toCrm: readonly PreviewWrite[];
  readonly toMarketing: readonly PreviewWrite[];
  /** True when the preview stopped at its size limit. */
  readonly truncated: boolean;
}

export type { SyncErrorStatus };
