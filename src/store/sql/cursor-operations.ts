import { nowIso } from './row-values.ts';
import type { CursorStore } from '../cursor-store.ts';
import type { StoreContext } from './store-context.ts';

/** The named positions of the change readers (B2.4). */
export function cursorOperations(ctx: StoreContext): CursorStore {
  return {
    async getCursor(name) {
      const row = await ctx.db
        .selectFrom('sync_cursors')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirst();
      return row?.value;
    },
    async setCursor(name, value) {
      await ctx.db
        .insertInto('sync_cursors')
        .values({ name, value, updated_at: nowIso() })
        .onConflict((conflict) =>
          conflict.column('name').doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },
    async deleteCursor(name) {
      await ctx.db.deleteFrom('sync_cursors').where('name', '=', name).execute();
    },
  };
}
