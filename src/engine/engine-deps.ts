import type { CrmConnector } from '../connectors/connector.ts';
import type { Logger } from '../logging/logger.ts';
import type { Store } from '../store/store.ts';

/** What every engine component receives; built once by the composition root (`app.ts`). */
export interface EngineDeps {
  readonly store: Store;
  readonly crm: CrmConnector;
  readonly logger: Logger;
  /** Injected so tests can move time; ISO strings without milliseconds. */
  readonly now: () => Date;
}

export interface EngineSettings {
  /** Seconds to wait after a pass ends before the next one starts (B2.1). */
  readonly intervalSeconds: number;
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
}

export const defaultEngineSettings: EngineSettings = {
  intervalSeconds: 300,
  pageSize: 5000,
  // Microsoft suggests starting bulk messages at 1,000 rows per request (performance anchors §2.1).
  writeBatchSize: 1000,
  pushRoundSize: 4000,
  maxPagesPerTurn: 4,
  customEntities: ['new_subscription'],
  accountActivityLimit: 5000,
  deleteSweepSeconds: 3600,
};
