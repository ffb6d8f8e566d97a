import type { Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { bool, iso, isoOrNull, isPlausibleKey, json, newId, nowIso } from './row-values.ts';
import type { CampaignRunsTable, CampaignsTable } from './schema.ts';
import type { StoreContext } from './store-context.ts';
import type {
  Campaign,
  CampaignInput,
  CampaignRun,
  CampaignRunStatus,
  CampaignStore,
} from '../campaign-store.ts';

/** Trigger campaigns with their runs (B7.5). */
export function campaignOperations(ctx: StoreContext): CampaignStore {
  const getCampaign = async (id: string) => {
    if (!isPlausibleKey(id)) return undefined;
    const row = await ctx.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toCampaign(row);
  };
  return {
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

    async campaignRanDuring(campaignId, personId, at) {
      if (!isPlausibleKey(campaignId) || !isPlausibleKey(personId)) return false;
      const row = await ctx.db
        .selectFrom('campaign_runs')
        .select('id')
        .where('person_id', '=', personId)
        .where('campaign_id', '=', campaignId)
        .where('started_at', '<=', at)
        .where((eb) => eb.or([eb('finished_at', 'is', null), eb('finished_at', '>=', at)]))
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async interruptCampaignRuns() {
      const result = await ctx.db
        .updateTable('campaign_runs')
        .set({
          status: 'failed',
          error: 'Interrupted: the campaign runner stopped during this run.',
          finished_at: nowIso(),
        })
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
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
