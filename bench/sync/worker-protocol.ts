import type { DatabaseConfig } from '../../src/config/config.ts';

/** What the harness asks the engine process to do (one message, one reply, over the fork IPC channel). */
export type WorkerRequest =
  /** `tokens`: the application users the connector spreads requests over (default: the sync user alone). */
  | {
      readonly type: 'open';
      readonly database: DatabaseConfig;
      readonly url: string;
      readonly tokens?: readonly string[];
      /**
       * Probe the write paths afresh, ignoring (and not keeping) the answers the store remembers (B4.5): S4 on
       * the `$batch` path reuses a store whose earlier engine proved the bulk path.
       */
      readonly freshProbe?: boolean;
    }
  | { readonly type: 'describe' }
  /** One pass; past `budgetMs` it is stopped at its next page boundary (status `aborted`). */
  | { readonly type: 'pass'; readonly budgetMs?: number }
  | { readonly type: 'edit-persons'; readonly count: number; readonly tag: string }
  | { readonly type: 'close' };

/** One measured pass inside the engine process. */
export interface PassMeasurement {
  readonly status: string;
  readonly error: string | null;
  readonly wallMs: number;
  /** User + system CPU of the engine process during the pass. */
  readonly cpuMs: number;
  /** HTTP requests the connector sent (retries included). */
  readonly requests: number;
  /** HTTP 429 answers the connector received (throttled parts inside a `$batch` answer not included). */
  readonly throttled: number;
  /** Requests the connector sent again after a transient failure (429 included). */
  readonly retries: number;
  /** CRM rows the pass read and applied (all entities, from the pass's progress events). */
  readonly rowsRead: number;
  /** Operations sent through `write` (each `$batch` operation counts once). */
  readonly rowsWritten: number;
  /** Wall time between the start of the first and the end of the last answered `write` call. */
  readonly writeMs: number;
  readonly counts: Readonly<Record<string, number>>;
}

export type WorkerReply =
  /** `writePaths`: the update path the engine's first connect chose per entity (`bulk` or `batch`). */
  | { readonly type: 'opened'; readonly writePaths: Readonly<Record<string, string>> }
  | { readonly type: 'described'; readonly entities: readonly string[]; readonly contactColumns: string[] }
  | { readonly type: 'pass'; readonly pass: PassMeasurement }
  | { readonly type: 'edited'; readonly edited: number }
  | { readonly type: 'closed'; readonly maxRssBytes: number }
  | { readonly type: 'failed'; readonly message: string };
