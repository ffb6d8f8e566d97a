import { SynclineError } from '../../errors/syncline-error.ts';
import { validateCampaign, type CampaignDefinition } from '../../flows/campaign-definition.ts';
import type { Campaign, CampaignInput, CampaignRun } from '../contracts/campaign-body.ts';
import type { Page, PersonStore } from '../../store/person-store.ts';
import type {
  Campaign as StoredCampaign,
  CampaignInput as StoredCampaignInput,
  CampaignRun as StoredCampaignRun,
} from '../../store/campaign-store.ts';

/**
 * The schema-valid body checked for what the schema cannot say (B7.5): the properties each trigger type and
 * step action takes, and that every field exists. Problems answer 400 VALIDATION_FAILED in the same details
 * shape as schema failures, so clients read one format; nothing is stored.
 */
export async function checkedCampaign(
  persons: Pick<PersonStore, 'listPersonFields'>,
  body: CampaignInput,
): Promise<StoredCampaignInput> {
  const definition = body as unknown as CampaignDefinition;
  const fields = new Set((await persons.listPersonFields()).map((field) => field.name));
  const problems = validateCampaign(definition, fields);
  if (problems.length > 0) {
    const summary = problems.map((problem) => `${problem.path} ${problem.message}`).join('; ');
    throw new SynclineError('VALIDATION_FAILED', `Invalid campaign: ${summary}.`, {
      details: { in: 'body', problems },
    });
  }
  return body as unknown as StoredCampaignInput;
}

/** The store keeps trigger, filters and steps as plain records; they were validated before they were stored. */
export function toCampaignBody(campaign: StoredCampaign): Campaign {
  return campaign as unknown as Campaign;
}

export function toCampaignPage(page: Page<StoredCampaign>): { items: Campaign[]; nextCursor: string | null } {
  return { items: page.items.map(toCampaignBody), nextCursor: page.nextCursor };
}

export function toRunPage(page: Page<StoredCampaignRun>): {
  items: CampaignRun[];
  nextCursor: string | null;
} {
  return { items: page.items as unknown as CampaignRun[], nextCursor: page.nextCursor };
}

export function campaignNotFound(id: string): SynclineError {
  return new SynclineError('NOT_FOUND', `No campaign with id ${id}.`, { details: { id } });
}
