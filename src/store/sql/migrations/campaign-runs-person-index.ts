import type { Kysely } from 'kysely';

/**
 * Schema version 0007 on SQLite, 0008 on PostgreSQL: campaign runs by person. A campaign never triggers itself (B7.5): the
 * runner asks whether a change of a person was committed while one of that campaign's runs for that person was
 * running (`campaignRanDuring`), which without this index would scan every run of the campaign.
 */
export async function createCampaignRunsPersonIndex(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('campaign_runs_person')
    .on('campaign_runs')
    .columns(['person_id', 'campaign_id', 'started_at'])
    .execute();
}
