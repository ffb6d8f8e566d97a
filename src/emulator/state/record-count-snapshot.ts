import type { Table } from './table.ts';

/** What `RetrieveTotalRecordCount` answers from: row counts per table and when they were taken. */
export interface RecordCounts {
  readonly takenAt: Date;
  readonly counts: ReadonlyMap<string, number>;
}

/** Dataverse's snapshot is "from within the last 24 hours" (the function's reference page); so is ours by default. */
export const defaultRecordCountRefreshSeconds = 86_400;

/**
 * The row-count snapshot behind `RetrieveTotalRecordCount` (docs/emulator.md "Record counts"). Dataverse answers
 * from a snapshot taken within the last 24 hours, not from the live table, so a client must not expect the
 * figure to move with its own writes. The emulator keeps one snapshot, taken at start and at every reset, and
 * takes it again when a request finds it older than `refreshSeconds` (0 = always live) or when the control API
 * asks (`POST /_emulator/record-counts`).
 */
export class RecordCountSnapshot {
  refreshSeconds: number;
  #snapshot: RecordCounts | undefined;

  constructor(refreshSeconds = defaultRecordCountRefreshSeconds) {
    this.refreshSeconds = refreshSeconds;
  }

  /** Counts every table now. */
  take(tables: ReadonlyMap<string, Table>, now = new Date()): RecordCounts {
    const counts = new Map<string, number>();
    for (const [name, table] of tables) counts.set(name, table.size);
    this.#snapshot = { takenAt: now, counts };
    return this.#snapshot;
  }

  /** The snapshot a request sees now: the kept one, retaken first when it is older than `refreshSeconds`. */
  current(tables: ReadonlyMap<string, Table>, now = new Date()): RecordCounts {
    const snapshot = this.#snapshot;
    if (snapshot === undefined || now.getTime() - snapshot.takenAt.getTime() >= this.refreshSeconds * 1000)
      return this.take(tables, now);
    return snapshot;
  }
}
