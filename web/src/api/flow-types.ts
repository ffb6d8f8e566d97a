/**
 * Flow actions and trigger campaigns (interfaces.md §4, B7). Written from the documented shapes while their
 * contracts were being built (issue 5); to be replaced by type-only imports from src/api/contracts/flow-* and
 * campaign-* once those exist.
 */
export type PersonValue = string | number | boolean | null;

export interface SyncToCrmBody {
  readonly syncAs: 'lead' | 'contact';
  readonly ownerId?: string;
}

export interface SyncToCrmResult {
  readonly status: 'created' | 'already-synced';
  readonly crmType: 'lead' | 'contact';
  readonly crmId: string;
}

export type CampaignTrigger =
  | { readonly type: 'person-created' }
  | { readonly type: 'added-through-api' }
  | {
      readonly type: 'field-changed';
      readonly field: string;
      readonly from?: PersonValue;
      readonly to?: PersonValue;
    };

export const filterOperators = ['equals', 'not-equals', 'contains', 'is-empty', 'is-not-empty'] as const;
export type FilterOperator = (typeof filterOperators)[number];

export interface CampaignFilter {
  readonly field: string;
  readonly operator: FilterOperator;
  readonly value?: PersonValue;
}

export type CampaignStep =
  | { readonly action: 'sync-to-crm'; readonly syncAs: 'lead' | 'contact'; readonly ownerId?: string }
  | { readonly action: 'change-owner'; readonly ownerId: string }
  | {
      readonly action: 'create-task';
      readonly subject: string;
      readonly description?: string;
      readonly dueInDays?: number;
    };

export interface CampaignDefinition {
  readonly name: string;
  readonly enabled: boolean;
  readonly trigger: CampaignTrigger;
  readonly filters: readonly CampaignFilter[];
  readonly steps: readonly CampaignStep[];
}

export interface Campaign extends CampaignDefinition {
  readonly id: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
}

/** The list answer: a page like every other list, or a bare array. */
export type CampaignList = { readonly items: readonly Campaign[] } | readonly Campaign[];

export const campaignsOf = (list: CampaignList): readonly Campaign[] => ('items' in list ? list.items : list);
