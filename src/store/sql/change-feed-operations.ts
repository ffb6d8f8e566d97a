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
    async readPersonChanges(after, limit, options) {
      checkLimit(limit, maxChangePage);
      const except = options?.exceptOrigin;
      const rows = await ctx.backend.readChanges(ctx.db, after, limit, except);
      const items: PersonChange[] = [];
      for (const row of rows) {
        if (row.origin === except) continue;
        items.push({
          personId: row.person_id,
          origin: row.origin as WriteOrigin,
          cursor: row.cursor,
          kind: row.kind as PersonChange['kind'],
          fields: json<string[]>(row.fields),
          at: iso(row.at),
        });
      }
      // The last row scanned, of whatever origin: a reader resuming there never scans the skipped rows again.
      return { items, nextCursor: rows.length > 0 ? rows[rows.length - 1].cursor : (after ?? null) };
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
