import { AsyncLocalStorage } from 'node:async_hooks';
import { Catalog } from '../metadata/catalog.ts';
import type { Value } from './row.ts';
import { RecordCountSnapshot } from './record-count-snapshot.ts';
import { Table, type UndoSink } from './table.ts';

/** A plug-in rule set through `PUT /_emulator/rules` (interfaces.md §7). */
export interface PluginRule {
  readonly entity: string;
  readonly attribute?: string;
  readonly on: 'create' | 'update' | 'both';
  readonly check: 'required' | 'regex' | 'forbidden';
  readonly value?: string;
  readonly message: string;
}

/**
 * How the emulated organisation answers the bulk messages (`PUT /_emulator/bulk`, `startEmulator({ bulk })`,
 * docs/emulator.md "Bulk messages"). Whether the real Web API honours a per-target `@odata.etag` in
 * `UpdateMultiple` is not documented (reference §13), so both answers are emulated.
 */
export interface BulkSettings {
  /**
   * `ignored` (default): an UpdateMultiple target is applied whatever its `@odata.etag` says — the worst case,
   * and what Microsoft's only statement on bulk concurrency suggests (2023 known issue: the SDK's
   * `ConcurrencyBehavior` was ignored, the default always applied). `honoured`: a stale target fails the whole
   * request with 412 `0x80060882`, as a single `If-Match` would.
   */
  readonly etags: 'honoured' | 'ignored';
  /**
   * Tables on which CreateMultiple and UpdateMultiple are not available: their `sdkmessagefilters` rows for the
   * two messages are absent and the messages answer 400 `0x80040800` ("… does not support entities of type …").
   */
  readonly unavailableOn: readonly string[];
}

export const defaultBulkSettings: BulkSettings = { etags: 'ignored', unavailableOn: [] };

/** A committed Create/Update/Delete; the webhook module turns these into RemoteExecutionContext posts. */
export interface RecordChangedEvent {
  readonly message: 'Create' | 'Update' | 'Delete';
  readonly entity: string;
  readonly id: string;
  /** Logical name → stored value of the attributes the request set (empty for Delete). */
  readonly attributes: Readonly<Record<string, Value>>;
  /** The row after the change (undefined for Delete), in storage form. */
  readonly userId: string;
  readonly version: number;
  readonly at: Date;
}

export type RecordChangedListener = (event: RecordChangedEvent) => void;

/**
 * All in-memory state of one emulator: tables, the global row-version counter, plug-in rules and counters.
 *
 * Concurrency model: handlers run synchronously against the tables, so requests never interleave inside a
 * write. A transaction (a `$batch` changeset) spans awaits, so while one is open every request from outside
 * it waits (`whenIdle`), and everything it changed is undone if it throws.
 */
export class EmulatorState {
  readonly catalog: Catalog;
  readonly tables = new Map<string, Table>();
  rules: readonly PluginRule[] = [];
  /** Kept across `reset` (it describes the organisation, like limits and faults); see `BulkSettings`. */
  bulk: BulkSettings = defaultBulkSettings;
  /**
   * `metadata`: schema reads by kind — `EntityDefinitions…` GETs, and `RetrieveMetadataChanges` calls without and
   * with a `ClientVersionStamp` (`changesFull` / `changesSince`) — so tests can see what a metadata check costs.
   */
  readonly stats = {
    requests: 0,
    throttled: 0,
    metadata: { entityDefinitions: 0, changesFull: 0, changesSince: 0 },
  };
  /**
   * More figures for `GET /_emulator/stats` from the protocol modules (limits and faults, webhooks), which the
   * server plugs in; the state itself only counts requests.
   */
  moreStats: () => Record<string, unknown> = () => ({});
  /** Behind `RetrieveTotalRecordCount`: taken at every reset, kept across it with its refresh setting. */
  readonly recordCounts = new RecordCountSnapshot();
  private version = 0;
  private journal: (() => void)[] | undefined;
  private pendingEvents: RecordChangedEvent[] | undefined;
  private active: Promise<void> | undefined;
  private readonly inTransaction = new AsyncLocalStorage<true>();
  private readonly listeners: RecordChangedListener[] = [];

  constructor(catalog: Catalog = new Catalog()) {
    this.catalog = catalog;
    const sink = (): UndoSink | undefined => (this.journal ? (undo) => this.journal!.push(undo) : undefined);
    for (const entity of catalog.entities.values())
      this.tables.set(entity.logicalName, new Table(entity, sink));
  }

  table(logicalName: string): Table {
    const table = this.tables.get(logicalName);
    if (!table) throw new Error(`No table for entity '${logicalName}'`);
    return table;
  }

  /** The last version handed out: every write gets a higher one (ETags, delta tokens). */
  get currentVersion(): number {
    return this.version;
  }

  nextVersion(): number {
    const previous = this.version;
    this.version += 1;
    this.journal?.push(() => {
      // Versions are never reused after a rollback unless nothing newer was handed out.
      if (this.version === previous + 1) this.version = previous;
    });
    return this.version;
  }

  /** Runs `fn` all-or-nothing; nested calls join the open transaction. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) return fn();
    await this.whenIdle();
    let release!: () => void;
    this.active = new Promise((resolve) => (release = resolve));
    const journal = this.beginJournal();
    try {
      const result = await this.inTransaction.run(true, fn);
      journal.commit();
      return result;
    } catch (error) {
      journal.rollback();
      throw error;
    } finally {
      this.active = undefined;
      release();
    }
  }

  /**
   * Runs a synchronous multi-row operation (QualifyLead, Merge) all-or-nothing: if it throws, every row it
   * wrote is restored and no change event is delivered. Inside an open transaction it simply joins it.
   */
  atomic<T>(fn: () => T): T {
    if (this.journal) return fn();
    const journal = this.beginJournal();
    try {
      const result = fn();
      journal.commit();
      return result;
    } catch (error) {
      journal.rollback();
      throw error;
    }
  }

  /** Starts recording undo actions and holding change events; commit delivers the events, rollback undoes. */
  private beginJournal(): { commit(): void; rollback(): void } {
    const journal: (() => void)[] = [];
    const events: RecordChangedEvent[] = [];
    this.journal = journal;
    this.pendingEvents = events;
    const end = () => {
      this.journal = undefined;
      this.pendingEvents = undefined;
    };
    return {
      commit: () => {
        end();
        for (const event of events) this.emit(event);
      },
      rollback: () => {
        end();
        for (let i = journal.length - 1; i >= 0; i--) journal[i]();
      },
    };
  }

  /** Resolves when no transaction from another caller is open. */
  async whenIdle(): Promise<void> {
    if (this.inTransaction.getStore()) return;
    while (this.active) await this.active;
  }

  onRecordChanged(listener: RecordChangedListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Called by the record writer after a change; delivered now, or at commit inside a transaction. */
  recordChanged(event: RecordChangedEvent): void {
    if (this.pendingEvents) this.pendingEvents.push(event);
    else this.emit(event);
  }

  /**
   * Empties every table (the seed then fills them) and forgets custom attributes created or deleted through
   * the metadata API. Versions keep increasing so old ETags never match.
   */
  clear(): void {
    for (const table of this.tables.values()) table.clear();
    this.catalog.restoreDefinitions();
    this.rules = [];
  }

  private emit(event: RecordChangedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure (e.g. webhook delivery) must never fail the write that already committed.
      }
    }
  }
}
