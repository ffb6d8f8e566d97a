import type { CrmConnector } from '../connectors/connector.ts';
import type { Logger } from '../logging/logger.ts';
import type { Store } from '../store/store.ts';
import type { LatencyRecorder } from './admin/sync-latency.ts';

/** What every engine component receives; built once by the composition root (`app.ts`). */
export interface EngineDeps {
  readonly store: Store;
  readonly crm: CrmConnector;
  readonly logger: Logger;
  /** Injected so tests can move time; ISO strings without milliseconds. */
  readonly now: () => Date;
  /**
   * Where changes carried to either side are timed (B2.8, status `latency`); one per engine process, shared by
   * every path that carries changes (passes, immediate pushes, webhooks). Absent → nothing is timed.
   */
  readonly latency?: LatencyRecorder;
  /**
   * B6.6: `SYNCLINE_NOTIFY_URL` is set, so every notification is written with a pending delivery, which the
   * notifier (src/notifications/) POSTs. Absent → notifications are shown and logged only.
   */
  readonly notificationsOut?: boolean;
}

export interface EngineSettings {
  /** Seconds to wait after a pass ends before the next one starts (B2.1). */
  readonly intervalSeconds: number;
  /**
   * B2.8: a committed marketing change is pushed at most this long after it commits, changes committed meanwhile
   * going with it; 0 = only passes push (`SYNCLINE_PUSH_DELAY_MS`).
   */
  readonly pushDelayMs: number;
  /** Rows per CRM page (≤ 5,000). */
  readonly pageSize: number;
  /** Most records pushed per CRM request (an UpdateMultiple, or a `$batch` when the connector falls back). */
  readonly writeBatchSize: number;
  /** Pending records a push round prepares and sends in one `write` call (bounds the pusher's memory). */
  readonly pushRoundSize: number;
  /** Most pages of one entity applied before the pass moves on to the next entity (B2.7 fairness). */
  readonly maxPagesPerTurn: number;
  /** Custom one-way entities to mirror (B1.2), by logical name. */
  readonly customEntities: readonly string[];
  /** Accounts with more contacts than this update their persons without per-person activities (B1.4). */
  readonly accountActivityLimit: number;
  /**
   * Entities without change tracking have no delete feed (B2.3): their links and mirror rows are checked
   * against the CRM this often (B3.6, `pull/delete-sweep.ts`).
   */
  readonly deleteSweepSeconds: number;
  /**
   * A pass that maps no value asks the CRM whether its metadata changed only when the last check is older than
   * this, so the stored field catalog follows the CRM while nothing syncs (`fields/metadata-check.ts`).
   */
  readonly metadataCheckSeconds: number;
  /** Sync errors are kept this long after they were last seen (`SYNCLINE_SYNC_ERROR_RETENTION_DAYS`); shown in the status. */
  readonly syncErrorRetentionDays: number;
}

export const defaultEngineSettings: EngineSettings = {
  intervalSeconds: 300,
  pushDelayMs: 1000,
  syncErrorRetentionDays: 90,
  pageSize: 5000,
  // Microsoft suggests starting bulk messages at 1,000 rows per request (performance anchors §2.1).
  writeBatchSize: 1000,
  pushRoundSize: 4000,
  maxPagesPerTurn: 4,
  customEntities: ['new_subscription'],
  accountActivityLimit: 5000,
  deleteSweepSeconds: 3600,
  metadataCheckSeconds: 900,
};
