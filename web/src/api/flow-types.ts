import type { Static } from 'typebox';
import type {
  Campaign,
  CampaignInput,
  CampaignList,
  CampaignRun,
} from '../../../src/api/contracts/campaign-body.ts';
import type {
  ChangeOwnerResult,
  CreateTaskResult,
  SyncToCrmBody,
  SyncToCrmResult,
} from '../../../src/api/contracts/flow-actions.ts';
import type { PersonValue } from '../../../src/api/contracts/person.ts';

/** Flow actions and trigger campaigns (interfaces.md §4, B7) as the console sees them, from the contracts. */
export type { Campaign, CampaignInput, CampaignRun, PersonValue, SyncToCrmBody };
export type CampaignPage = Static<typeof CampaignList>;
export type SyncToCrmResultView = Static<typeof SyncToCrmResult>;
export type ChangeOwnerResultView = Static<typeof ChangeOwnerResult>;
export type CreateTaskResultView = Static<typeof CreateTaskResult>;

/*
 * The editor's stricter view of a campaign: each trigger type and step action with exactly its own
 * properties. The contract keeps them flat (one error per mistake) and the server checks the pairing; here
 * the compiler does, so the editor cannot build a body the server would refuse for its shape.
 */
export type CampaignTrigger =
  | { type: 'person-created' }
  | { type: 'added-through-api' }
  | { type: 'field-changed'; field: string; from?: PersonValue; to?: PersonValue }
  | { type: 'crm-type-changed'; from?: CrmType; to?: CrmType }
  | { type: 'crm-deleted' };

/** A person's `crmType`: null while it is linked to no lead or contact. */
export type CrmType = 'lead' | 'contact' | null;

export type CampaignFilter = CampaignInput['filters'][number];
export type FilterOperator = CampaignFilter['operator'];
export const filterOperators = [
  'equals',
  'not-equals',
  'contains',
  'is-empty',
  'is-not-empty',
] as const satisfies readonly FilterOperator[];

export type CampaignStep =
  | { action: 'sync-to-crm'; syncAs: 'lead' | 'contact'; ownerId?: string }
  | { action: 'change-owner'; ownerId: string }
  | { action: 'create-task'; subject: string; description?: string; dueInDays?: number };

export interface CampaignDefinition {
  name: string;
  enabled: boolean;
  trigger: CampaignTrigger;
  filters: CampaignFilter[];
  steps: CampaignStep[];
}

const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;

/** A stored campaign in the editor's view (the server only stores valid pairings). */
export function toDefinition(campaign: Campaign): CampaignDefinition {
  const { trigger } = campaign;
  return {
    name: campaign.name,
    enabled: campaign.enabled,
    trigger:
      trigger.type === 'field-changed'
        ? defined({ type: trigger.type, field: trigger.field ?? '', from: trigger.from, to: trigger.to })
        : trigger.type === 'crm-type-changed'
          ? defined({
              type: trigger.type,
              from: trigger.from as CrmType | undefined,
              to: trigger.to as CrmType | undefined,
            })
          : { type: trigger.type },
    filters: campaign.filters.map((filter) => defined({ ...filter })),
    steps: campaign.steps.map((step): CampaignStep => {
      if (step.action === 'sync-to-crm')
        return defined({ action: step.action, syncAs: step.syncAs ?? 'lead', ownerId: step.ownerId });
      if (step.action === 'change-owner') return { action: step.action, ownerId: step.ownerId ?? '' };
      return defined({
        action: step.action,
        subject: step.subject ?? '',
        description: step.description,
        dueInDays: step.dueInDays,
      });
    }),
  };
}
