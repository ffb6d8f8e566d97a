import type { Page, PageRequest } from './person-store.ts';

/**
 * Trigger campaigns and their runs (B7.5), consumed only by the flows' campaign runner and the campaign API
 * routes; the engine never sees them. Part of `Store` (store.ts); both backends pass
 * tests/contract/register-campaign-store-tests.ts.
 */

/** A trigger campaign (B7.5). Trigger, filters and steps are validated by the API; stored as given. */
export interface CampaignInput {
  readonly name: string;
  readonly enabled: boolean;
  readonly trigger: Readonly<Record<string, unknown>>;
  readonly filters: readonly Readonly<Record<string, unknown>>[];
  readonly steps: readonly Readonly<Record<string, unknown>>[];
}

export interface Campaign extends CampaignInput {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type CampaignRunStatus = 'running' | 'succeeded' | 'failed';

export interface CampaignRun {
  readonly id: string;
  readonly campaignId: string;
  readonly personId: string;
  readonly status: CampaignRunStatus;
  /** One entry per step that ran, with its outcome. */
  readonly results: readonly Readonly<Record<string, unknown>>[];
  readonly error: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

export interface CampaignStore {
  createCampaign(campaign: CampaignInput): Promise<Campaign>;
  /** Undefined for an unknown or malformed id. */
  getCampaign(id: string): Promise<Campaign | undefined>;
  /** Oldest first. */
  listCampaigns(page: PageRequest): Promise<Page<Campaign>>;
  /** Replaces the campaign; undefined when it does not exist. */
  updateCampaign(id: string, campaign: CampaignInput): Promise<Campaign | undefined>;
  /** Deletes the campaign and its runs; false when it did not exist. */
  deleteCampaign(id: string): Promise<boolean>;
  /** A run in status `running`; the campaign must exist (its runs are deleted with it). */
  startCampaignRun(campaignId: string, personId: string): Promise<CampaignRun>;
  /** False when the run does not exist. */
  finishCampaignRun(
    id: string,
    outcome: {
      status: Exclude<CampaignRunStatus, 'running'>;
      results: Record<string, unknown>[];
      error: string | null;
    },
  ): Promise<boolean>;
  /**
   * Whether a run of the campaign for the person was under way at `at` (started at or before it, and finished
   * at or after it, or not finished): a change committed then is the campaign's own doing (B7.5).
   */
  campaignRanDuring(campaignId: string, personId: string, at: string): Promise<boolean>;
  /**
   * Marks every run still `running` failed ("interrupted"), finished now: runs a crashed or stopped runner left
   * behind. Only the runner calls it, when it starts (it is the only one running campaigns). Returns how many.
   */
  interruptCampaignRuns(): Promise<number>;
  /** Newest first. */
  listCampaignRuns(campaignId: string, page: PageRequest): Promise<Page<CampaignRun>>;
}
