import type { Selectable } from 'kysely';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { iso, isoOrNull, isPlausibleKey, json, newId, nowIso, num } from './row-values.ts';
import type { BackfillJobsTable } from './schema.ts';
import type { StoreContext } from './store-context.ts';
import type { BackfillJob, BackfillStatus, JobStore } from '../job-store.ts';

/** Backfill jobs (B5.5). */
export function jobOperations(ctx: StoreContext): JobStore {
  const getBackfillJob = async (id: string) => {
    if (!isPlausibleKey(id)) return undefined;
    const row = await ctx.db.selectFrom('backfill_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toBackfill(row);
  };

  return {
    async createBackfillJob(job) {
      const now = nowIso();
      const row = {
        id: newId(),
        entity: job.entity,
        attributes: [...job.attributes],
        status: 'queued',
        processed: 0,
        total: null,
        position: null,
        error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      };
      await ctx.db
        .insertInto('backfill_jobs')
        .values({ ...row, attributes: JSON.stringify(row.attributes) })
        .execute();
      return toBackfill(row);
    },

    getBackfillJob,

    async listBackfillJobs(query) {
      checkLimit(query.limit);
      let select = ctx.db.selectFrom('backfill_jobs').selectAll();
      if (query.status !== undefined) {
        if (query.status.length === 0) return { items: [], nextCursor: null };
        select = select.where('status', 'in', query.status);
      }
      if (query.cursor !== undefined) {
        const [id] = decodeCursor(query.cursor, 'backfills', ['string']) as [string];
        select = select.where('id', '>', id);
      }
      const rows = await select
        .orderBy('id')
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, toBackfill, (row) => encodeCursor('backfills', [row.id]));
    },

    async updateBackfillJob(id, patch) {
      const set = {
        ...(patch.status === undefined ? {} : { status: patch.status }),
        ...(patch.processed === undefined ? {} : { processed: patch.processed }),
        ...(patch.total === undefined ? {} : { total: patch.total }),
        ...(patch.position === undefined ? {} : { position: patch.position }),
        ...(patch.error === undefined ? {} : { error: patch.error }),
        ...(patch.finishedAt === undefined ? {} : { finished_at: patch.finishedAt }),
        updated_at: nowIso(),
      };
      if (!isPlausibleKey(id)) return undefined;
      await ctx.db.updateTable('backfill_jobs').set(set).where('id', '=', id).execute();
      return getBackfillJob(id);
    },
  };
}

function toBackfill(row: Selectable<BackfillJobsTable>): BackfillJob {
  return {
    id: row.id,
    entity: row.entity,
    attributes: json<string[]>(row.attributes),
    status: row.status as BackfillStatus,
    processed: num(row.processed),
    total: row.total === null ? null : num(row.total),
    position: row.position,
    error: row.error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: isoOrNull(row.finished_at),
  };
}
