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
): Pick<PersonStore, 'readPersonChanges' | 'prunePersonChanges' | 'prunePassedPersonChanges'> {
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
      return ctx.backend.pruneChanges(ctx.db, [through]);
    },

    async prunePassedPersonChanges({ readers, before }) {
      if (readers.length === 0) return 0;
      const rows = await ctx.db
        .selectFrom('sync_cursors')
        .select(['name', 'value'])
        .where('name', 'in', [...readers])
        .execute();
      // A reader without a position has passed nothing (it will start at the beginning): keep everything.
      if (rows.length < new Set(readers).size) return 0;
      // Positions only move forward, so a reader that advanced since this read has passed these rows too.
      return ctx.backend.pruneChanges(
        ctx.db,
        rows.map((row) => row.value),
        before,
      );
    },
  };
}
