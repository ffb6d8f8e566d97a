import type { FieldPolicy } from './field-policy.ts';

/**
 * A CRM attribute and its sync state (B5): what the field selection stores, the engine plans with and
 * `GET /api/v1/sync/fields` serves. One shape for all three; the API contract (`api/contracts/sync-field.ts`)
 * is built from the lists below.
 */

/** A field's sync state (interfaces.md §4, B5). */
export const syncFieldStates = ['available', 'inaccessible', 'synced', 'backfilling', 'quarantined'] as const;
export type SyncFieldState = (typeof syncFieldStates)[number];

/** What the API shows of a field. */
export interface SyncFieldView {
  readonly entity: string;
  readonly attribute: string;
  /** The person field it maps to (B5.2); null for one-way entities. */
  readonly personField: string | null;
  /** The person-field type (string, integer, …) or the CRM attribute type for one-way entities. */
  readonly type: string;
  /** What the sync user may do with the attribute (B5.1). */
  readonly access: { readonly read: boolean; readonly create: boolean; readonly update: boolean };
  readonly selected: boolean;
  readonly state: SyncFieldState;
  /** Why the field is inaccessible or quarantined (B5.6); null otherwise. */
  readonly stateReason: string | null;
  /** Per-field policy override (B4.6); null = the entity rule (B4.3). */
  readonly policy: FieldPolicy | null;
}

/** A field as stored: the view plus what the engine keeps with it. */
export interface SyncField extends SyncFieldView {
  /** Free-form metadata the engine keeps with the field (option sets, max length, date-only…). */
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly updatedAt: string;
}

export type SyncFieldInput = Omit<SyncField, 'updatedAt'>;

/** The API's view of a stored field (drops the engine's metadata). */
export function toSyncFieldView(field: SyncField): SyncFieldView {
  return {
    entity: field.entity,
    attribute: field.attribute,
    personField: field.personField,
    type: field.type,
    access: field.access,
    selected: field.selected,
    state: field.state,
    stateReason: field.stateReason,
    policy: field.policy,
  };
}
