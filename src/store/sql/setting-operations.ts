import { nowIso } from './row-values.ts';
import type { SettingStore } from '../setting-store.ts';
import type { StoreContext } from './store-context.ts';

/** Key/value settings (the API key hash, the sync's enabled and initial-load flags). */
export function settingOperations(ctx: StoreContext): SettingStore {
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
  };
}
