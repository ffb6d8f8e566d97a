import type { LinkedEntity } from './link-store.ts';
import type { Page, PageRequest } from './person-store.ts';

/**
 * The pending-push outbox (B2.4, B4.2): linked records with marketing-side values still to be written to the
 * CRM. A mark commits with the decision that made it, so a crash between deciding and pushing loses nothing;
 * generations make clearing safe against an edit that arrives while the push is in flight. Part of `Store`
 * (store.ts); both backends pass tests/contract/register-outbox-store-tests.ts.
 */

/** A linked record with marketing-side changes still to be written to the CRM. */
export interface PendingPush {
  readonly entity: LinkedEntity;
  readonly crmId: string;
  readonly personId: string;
  /** Attributes to push even where they equal their base; null = every field that differs from its base. */
  readonly fields: readonly string[] | null;
  /** Bumped by each mark; `clearPendingPush` with an older generation leaves a newer mark in place. */
  readonly generation: number;
  /** When the record first became pending (oldest pending, B6.5). */
  readonly since: string;
}

export interface OutboxStore {
  /**
   * Marks a linked record as having marketing-side values to push. Commit it in the transaction that made
   * the decision, so a crash never loses it. Marks merge: `null` (every differing field) absorbs lists.
   */
  markPendingPush(
    entity: LinkedEntity,
    crmId: string,
    personId: string,
    fields: readonly string[] | null,
  ): Promise<void>;
  getPendingPush(entity: LinkedEntity, crmId: string): Promise<PendingPush | undefined>;
  /** Oldest mark first; optionally one entity or one record. */
  listPendingPushes(
    query: PageRequest & { entity?: LinkedEntity; crmId?: string },
  ): Promise<Page<PendingPush>>;
  /** Removes the mark unless it was re-marked after `generation` was read; true when removed. */
  clearPendingPush(entity: LinkedEntity, crmId: string, generation: number): Promise<boolean>;
  /**
   * Settles a chunk of pushes the CRM accepted, in one statement each instead of one per record:
   * `clearPendingPush` for every item (a newer mark stays) and, where `resolveErrors`, `resolveSyncErrorsOf`.
   * Returns how many marks were removed.
   */
  settlePushes(
    entity: LinkedEntity,
    items: readonly { crmId: string; generation: number; resolveErrors: boolean }[],
  ): Promise<number>;
  /** Per entity: how many records are pending and since when (status, B6.5). */
  pendingPushSummary(): Promise<Record<string, { pending: number; oldestPendingAt: string | null }>>;
}
