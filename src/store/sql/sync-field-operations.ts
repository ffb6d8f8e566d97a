import type { Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { bool, iso, json, nowIso } from './row-values.ts';
import type { SyncFieldsTable } from './schema.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { SyncFieldStore } from '../sync-field-store.ts';
import type { SyncField, SyncFieldState } from '../../domain/sync-field.ts';
import type { FieldPolicy } from '../../domain/field-policy.ts';

const fieldStates: readonly SyncFieldState[] = [
  'available',
  'inaccessible',
  'synced',
  'backfilling',
  'quarantined',
];

/** The field selection and each field's state (B5.1, B5.4–B5.6). */
export function syncFieldOperations(ctx: StoreContext): SyncFieldStore {
  return {
    async listSyncFields(entity) {
      let select = ctx.db.selectFrom('sync_fields').selectAll();
      if (entity !== undefined) select = select.where('entity', '=', entity);
      const rows = await select.orderBy('entity').orderBy('attribute').execute();
      return rows.map(toSyncField);
    },

    async upsertSyncFields(fields) {
      for (const field of fields) checkState(field.state);
      if (fields.length === 0) return;
      const now = nowIso();
      const batch = ctx.backend.capabilities.maxBatchRows;
      await atomically(ctx, async (tx) => {
        for (let start = 0; start < fields.length; start += batch) {
          await tx.db
            .insertInto('sync_fields')
            .values(
              fields.slice(start, start + batch).map((field) => ({
                entity: field.entity,
                attribute: field.attribute,
                person_field: field.personField,
                type: field.type,
                access: JSON.stringify(field.access),
                selected: field.selected,
                state: field.state,
                state_reason: field.stateReason,
                policy: field.policy,
                metadata: field.metadata === null ? null : JSON.stringify(field.metadata),
                updated_at: now,
              })),
            )
            .onConflict((conflict) =>
              conflict.columns(['entity', 'attribute']).doUpdateSet((eb) => ({
                person_field: eb.ref('excluded.person_field'),
                type: eb.ref('excluded.type'),
                access: eb.ref('excluded.access'),
                selected: eb.ref('excluded.selected'),
                state: eb.ref('excluded.state'),
                state_reason: eb.ref('excluded.state_reason'),
                policy: eb.ref('excluded.policy'),
                metadata: eb.ref('excluded.metadata'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
      });
    },

    async setSyncFieldState(entity, attribute, state, reason) {
      checkState(state);
      const result = await ctx.db
        .updateTable('sync_fields')
        .set({ state, state_reason: reason, updated_at: nowIso() })
        .where('entity', '=', entity)
        .where('attribute', '=', attribute)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

function checkState(state: SyncFieldState): void {
  if (!fieldStates.includes(state)) {
    throw new SynclineError('VALIDATION_FAILED', `A field state must be one of ${fieldStates.join(', ')}.`);
  }
}

function toSyncField(row: Selectable<SyncFieldsTable>): SyncField {
  return {
    entity: row.entity,
    attribute: row.attribute,
    personField: row.person_field,
    type: row.type,
    access: json<SyncField['access']>(row.access),
    selected: bool(row.selected),
    state: row.state as SyncFieldState,
    stateReason: row.state_reason,
    policy: row.policy as FieldPolicy | null,
    metadata: row.metadata === null ? null : json<Record<string, unknown>>(row.metadata),
    updatedAt: iso(row.updated_at),
  };
}
