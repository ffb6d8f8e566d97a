import type { SyncField, SyncFieldInput, SyncFieldState } from '../domain/sync-field.ts';

/**
 * The field selection and each field's state (B5): what the admin selected per entity, and whether a field
 * syncs, backfills or is quarantined. Written by the engine's field catalog; part of `Store` (store.ts).
 */
export interface SyncFieldStore {
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
}
