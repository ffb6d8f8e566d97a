import { checkLimit } from './page-cursor.ts';
import { iso, json } from './row-values.ts';
import type { StoreContext } from './store-context.ts';
import type { WriteOrigin } from '../../domain/person.ts';
import type { PersonChange, PersonStore } from '../person-store.ts';

/** Largest page of the change feed (the engine and the benchmark read it in big pages). */
export const maxChangePage = 10_000;

/**
 * The persons change feed (B2.2, B4.4). Writes append to it in their own transaction (person-operations.ts);
 * how a reader knows which rows are safe to return is the backend's (sqlite-backend.ts, postgres-backend.ts).
 */
export function changeFeedOperations(
  ctx: StoreContext,
): Pick<PersonStore, 'readPersonChanges' | 'prunePersonChanges'> {
  return {
    async readPersonChanges(after, limit) {
      checkLimit(limit, maxChangePage);
      const rows = await ctx.backend.readChanges(ctx.db, after, limit);
      const items = rows.map((row): PersonChange => ({
        personId: row.person_id,
        origin: row.origin as WriteOrigin,
        cursor: row.cursor,
        kind: row.kind as PersonChange['kind'],
        fields: json<string[]>(row.fields),
        at: iso(row.at),
      }));
      return { items, nextCursor: items.length > 0 ? items[items.length - 1].cursor : (after ?? null) };
    },

    async prunePersonChanges(through) {
      return ctx.backend.pruneChanges(ctx.db, through);
    },
  };
}
