import { SynclineError } from '../../errors/syncline-error.ts';
import { markerKinds, type MarkerKind, type MarkerStore } from '../marker-store.ts';
import { isPlausibleKey, nowIso } from './row-values.ts';
import { atomically, type StoreContext } from './store-context.ts';

/** Per-person markers (`person_markers`, migration 0004), deleted with their person by the foreign key. */
export function markerOperations(ctx: StoreContext): MarkerStore {
  return {
    async getMarker(personId, kind) {
      if (!isPlausibleKey(personId)) return undefined;
      const row = await ctx.db
        .selectFrom('person_markers')
        .select('value')
        .where('person_id', '=', personId)
        .where('kind', '=', kind)
        .executeTakeFirst();
      return row?.value;
    },

    async setMarker(personId, kind, value) {
      checkMarker(kind, value);
      if (!isPlausibleKey(personId)) return false;
      return atomically(ctx, async (tx) => {
        // Checked first so a deleted person answers false rather than a foreign-key error (as upsertLink
        // checks before it writes).
        const person = await tx.db
          .selectFrom('persons')
          .select('id')
          .where('id', '=', personId)
          .executeTakeFirst();
        if (person === undefined) return false;
        await tx.db
          .insertInto('person_markers')
          .values({ person_id: personId, kind, value, updated_at: nowIso() })
          .onConflict((conflict) =>
            conflict.columns(['person_id', 'kind']).doUpdateSet((eb) => ({
              value: eb.ref('excluded.value'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
        return true;
      });
    },

    async deleteMarker(personId, kind) {
      if (!isPlausibleKey(personId)) return false;
      const result = await ctx.db
        .deleteFrom('person_markers')
        .where('person_id', '=', personId)
        .where('kind', '=', kind)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deleteMarkersOfKind(kind) {
      checkMarker(kind, '');
      const result = await ctx.db.deleteFrom('person_markers').where('kind', '=', kind).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function checkMarker(kind: MarkerKind, value: string): void {
  const problems = [
    ...(markerKinds.includes(kind)
      ? []
      : [{ field: 'kind', message: `must be one of ${markerKinds.join(', ')}` }]),
    ...(typeof value === 'string' && !value.includes('\u0000')
      ? []
      : [{ field: 'value', message: 'must be a string without NUL characters' }]),
  ];
  if (problems.length > 0) {
    throw new SynclineError(
      'VALIDATION_FAILED',
      `Invalid marker: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      { details: { problems } },
    );
  }
}
