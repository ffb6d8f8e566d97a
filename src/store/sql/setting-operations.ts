import { nowIso } from './row-values.ts';
import type { Store } from '../store.ts';
import type { StoreContext } from './store-context.ts';

/** Key/value tables: settings, and the engine's named cursors (B2.4). */
export function settingOperations(
  ctx: StoreContext,
): Pick<Store, 'getSetting' | 'setSetting' | 'getCursor' | 'setCursor' | 'deleteCursor'> {
  return {
    async getSetting(key) {
      const row = await ctx.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },
    async setSetting(key, value) {
      await ctx.db
        .insertInto('settings')
        .values({ key, value, updated_at: nowIso() })
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },
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
