/**
 * Where the database's schema stands against this version of Syncline: what `GET /ready` asks (interfaces.md
 * §4), so an orchestrator sends traffic only to a replica whose database answers and is migrated. Part of
 * `Store` (store.ts); only the root store answers it, not a transaction's.
 */
export interface SchemaStore {
  /**
   * Reads the applied migrations from the database on every call (one or two cheap queries, no writes), so a
   * resolved answer also proves the database answers. Throws STORE_UNAVAILABLE when it cannot be reached.
   */
  migrationStatus(): Promise<MigrationStatus>;
}

export interface MigrationStatus {
  /** The newest migration applied to the database (by name), undefined when none is. */
  readonly latest: string | undefined;
  /** Migrations of this version the database has not applied yet, in name order (empty when migrated). */
  readonly pending: readonly string[];
}
