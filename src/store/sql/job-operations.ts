import type { Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { bool, iso, isoOrNull, isPlausibleKey, json, newId, nowIso, num } from './row-values.ts';
import type { BackfillJobsTable, CampaignRunsTable, CampaignsTable } from './schema.ts';
import type { Store } from '../store.ts';
import type { StoreContext } from './store-context.ts';
import type {
  BackfillJob,
  BackfillStatus,
  Campaign,
  CampaignInput,
  CampaignRun,
  CampaignRunStatus,
} from '../sync-state-store.ts';

/** Backfill jobs (B5.5) and trigger campaigns with their runs (B7.5). */
export function jobOperations(
  ctx: StoreContext,
): Pick<
  Store,
  | 'createBackfillJob'
  | 'getBackfillJob'
  | 'listBackfillJobs'
  | 'updateBackfillJob'
  | 'createCampaign'
  | 'getCampaign'
  | 'listCampaigns'
  | 'updateCampaign'
  | 'deleteCampaign'
  | 'startCampaignRun'
  | 'finishCampaignRun'
  | 'listCampaignRuns'
> {
  const getBackfillJob = async (id: string) => {
    if (!isPlausibleKey(id)) return undefined;
    const row = await ctx.db.selectFrom('backfill_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toBackfill(row);
  };
  const getCampaign = async (id: string) => {
    if (!isPlausibleKey(id)) return undefined;
    const row = await ctx.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toCampaign(row);
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

    async createCampaign(input) {
      checkCampaign(input);
      const now = nowIso();
      const campaign: Campaign = { ...copyCampaign(input), id: newId(), createdAt: now, updatedAt: now };
      await ctx.db
        .insertInto('campaigns')
        .values({ id: campaign.id, ...campaignColumns(campaign), created_at: now, updated_at: now })
        .execute();
      return campaign;
    },

    getCampaign,

    async listCampaigns(page) {
      checkLimit(page.limit);
      let select = ctx.db.selectFrom('campaigns').selectAll();
      if (page.cursor !== undefined) {
        const [id] = decodeCursor(page.cursor, 'campaigns', ['string']) as [string];
        select = select.where('id', '>', id);
      }
      const rows = await select
        .orderBy('id')
        .limit(page.limit + 1)
        .execute();
      return toPage(rows, page.limit, toCampaign, (row) => encodeCursor('campaigns', [row.id]));
    },

    async updateCampaign(id, input) {
      checkCampaign(input);
      if (!isPlausibleKey(id)) return undefined;
      const result = await ctx.db
        .updateTable('campaigns')
        .set({ ...campaignColumns(input), updated_at: nowIso() })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n ? getCampaign(id) : undefined;
    },

    async deleteCampaign(id) {
      if (!isPlausibleKey(id)) return false;
      // Its runs go with it (foreign key, on delete cascade).
      const result = await ctx.db.deleteFrom('campaigns').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async startCampaignRun(campaignId, personId) {
      if ((await getCampaign(campaignId)) === undefined) {
        throw new SynclineError('NOT_FOUND', `No campaign with id ${campaignId}.`);
      }
      const row = {
        id: newId(),
        campaign_id: campaignId,
        person_id: personId,
        status: 'running',
        results: [],
        error: null,
        started_at: nowIso(),
        finished_at: null,
      };
      await ctx.db
        .insertInto('campaign_runs')
        .values({ ...row, results: JSON.stringify(row.results) })
        .execute();
      return toRun(row);
    },

    async finishCampaignRun(id, outcome) {
      if (!isPlausibleKey(id)) return false;
      const result = await ctx.db
        .updateTable('campaign_runs')
        .set({
          status: outcome.status,
          results: JSON.stringify(outcome.results),
          error: outcome.error,
          finished_at: nowIso(),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async listCampaignRuns(campaignId, page) {
      checkLimit(page.limit);
      let select = ctx.db.selectFrom('campaign_runs').selectAll().where('campaign_id', '=', campaignId);
      if (page.cursor !== undefined) {
        const [id] = decodeCursor(page.cursor, 'campaign-runs', ['string']) as [string];
        select = select.where('id', '<', id);
      }
      const rows = await select
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return toPage(rows, page.limit, toRun, (row) => encodeCursor('campaign-runs', [row.id]));
    },
  };
}

function checkCampaign(input: CampaignInput): void {
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) {
    throw new SynclineError('VALIDATION_FAILED', 'A campaign needs a name of 1–200 characters.');
  }
}

function copyCampaign(input: CampaignInput): CampaignInput {
  return {
    name: input.name,
    enabled: input.enabled,
    trigger: { ...input.trigger },
    filters: [...input.filters],
    steps: [...input.steps],
  };
}

function campaignColumns(input: CampaignInput) {
  return {
    name: input.name,
    enabled: input.enabled,
    trigger: JSON.stringify(input.trigger),
    filters: JSON.stringify(input.filters),
    steps: JSON.stringify(input.steps),
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

function toCampaign(row: Selectable<CampaignsTable>): Campaign {
  return {
    id: row.id,
    name: row.name,
    enabled: bool(row.enabled),
    trigger: json<Record<string, unknown>>(row.trigger),
    filters: json<Record<string, unknown>[]>(row.filters),
    steps: json<Record<string, unknown>[]>(row.steps),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toRun(row: Selectable<CampaignRunsTable>): CampaignRun {
  return {
    id: row.id,
    campaignId: row.campaign_id,
    personId: row.person_id,
    status: row.status as CampaignRunStatus,
    results: json<Record<string, unknown>[]>(row.results),
    error: row.error,
    startedAt: iso(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
  };
}
