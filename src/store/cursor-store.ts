/**
 * Named positions of the readers of changes (B2.4): delta links and watermarks per CRM entity, the engine's
 * marketing change cursor, backfill positions, the campaign runner's feed position. Per-person state is not a
 * cursor: it lives in `MarkerStore` (marker-store.ts), where it goes when the person does. Part of `Store`.
 */
export interface CursorStore {
  getCursor(name: string): Promise<string | undefined>;
  /** Advance only inside the transaction that applied everything read up to it (B2.4). */
  setCursor(name: string, value: string): Promise<void>;
  /** Forgets the position (the next read starts over); a missing cursor is not an error. */
  deleteCursor(name: string): Promise<void>;
}
