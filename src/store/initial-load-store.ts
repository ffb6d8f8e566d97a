/** One entity's part of the initial load (B2.6), as `InitialLoadStore` keeps it. */
export interface InitialLoadEntityProgress {
  readonly entity: string;
  /** CRM rows (upserts and deletes) the initial load applied so far. */
  readonly processed: number;
  /**
   * The CRM's row count when the load began (`RetrieveTotalRecordCount`: a snapshot from within the last 24
   * hours, so a table that grew since may end above it); null when it could not be asked.
   */
  readonly total: number | null;
  /** When Syncline asked for `total` (not when the CRM took its snapshot, which it does not say). */
  readonly totalCountedAt: string | null;
  /** When the entity's initial read applied its last page; null while it runs. */
  readonly finishedAt: string | null;
}

/**
 * Progress of the initial load per entity, kept in the database so a restarted process resumes its bar where
 * the load stands instead of at 0 (B2.6, B6.5). Part of `EngineStore` (store.ts).
 */
export interface InitialLoadStore {
  /** Every entity with progress or a total, ordered by name. */
  listInitialLoadProgress(): Promise<InitialLoadEntityProgress[]>;
  /** Records the entities' totals (whole numbers ≥ 0), overwriting earlier ones; `countedAt` defaults to now. */
  setInitialLoadTotals(totals: Readonly<Record<string, number>>, countedAt?: string): Promise<void>;
  /**
   * Adds `rows` applied by the initial load to the entity; `finished` marks its read complete. Call it in the
   * transaction that applies the page and advances its cursor (B2.4): a page redone after a crash then counts
   * once.
   */
  addInitialLoadProgress(entity: string, rows: number, finished: boolean): Promise<void>;
}
