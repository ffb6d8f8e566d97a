import { SynclineError } from '../../errors/syncline-error.ts';
import type { InitialLoadStore } from '../initial-load-store.ts';
import { isoOrNull, nowIso, num } from './row-values.ts';
import type { StoreContext } from './store-context.ts';

const wholeNumber = (value: number) => Number.isSafeInteger(value) && value >= 0;

/** Initial-load progress per entity (B2.6): one row per entity, counters added in the page's transaction. */
export function initialLoadOperations(ctx: StoreContext): InitialLoadStore {
  return {
    async listInitialLoadProgress() {
      const rows = await ctx.db.selectFrom('initial_load_progress').selectAll().orderBy('entity').execute();
      return rows.map((row) => ({
        entity: row.entity,
        processed: num(row.processed),
        total: row.total === null ? null : num(row.total),
        totalCountedAt: isoOrNull(row.total_counted_at),
        finishedAt: isoOrNull(row.finished_at),
      }));
    },

    async setInitialLoadTotals(totals, countedAt = nowIso()) {
      const entries = Object.entries(totals);
      if (entries.some(([entity, total]) => entity === '' || !wholeNumber(total)))
        throw new SynclineError(
          'VALIDATION_FAILED',
          'An initial-load total is a whole number ≥ 0 per entity.',
        );
      if (entries.length === 0) return;
      await ctx.db
        .insertInto('initial_load_progress')
        .values(
          entries.map(([entity, total]) => ({
            entity,
            processed: 0,
            total,
            total_counted_at: countedAt,
            finished_at: null,
            updated_at: nowIso(),
          })),
        )
        .onConflict((conflict) =>
          conflict.column('entity').doUpdateSet((eb) => ({
            total: eb.ref('excluded.total'),
            total_counted_at: eb.ref('excluded.total_counted_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },

    async addInitialLoadProgress(entity, rows, finished) {
      if (entity === '' || !wholeNumber(rows))
        throw new SynclineError('VALIDATION_FAILED', 'Initial-load progress is a whole number ≥ 0 of rows.');
      if (rows === 0 && !finished) return;
      const at = nowIso();
      await ctx.db
        .insertInto('initial_load_progress')
        .values({
          entity,
          processed: rows,
          total: null,
          total_counted_at: null,
          finished_at: finished ? at : null,
          updated_at: at,
        })
        .onConflict((conflict) =>
          conflict.column('entity').doUpdateSet((eb) => ({
            processed: eb('initial_load_progress.processed', '+', eb.ref('excluded.processed')),
            // A finished entity stays finished (its first finish time is kept).
            finished_at: eb.fn.coalesce('initial_load_progress.finished_at', 'excluded.finished_at'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    },
  };
}
