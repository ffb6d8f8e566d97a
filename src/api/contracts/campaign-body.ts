import { Type, type Static } from 'typebox';
import { filterOperators } from '../../flows/campaign-definition.ts';
import { PersonValue } from './person.ts';
import { pageOf } from './pagination.ts';

/**
 * Trigger campaigns (B7.5, interfaces.md §4). Trigger and step are flat objects with a `type`/`action` tag
 * rather than schema unions, so a client gets one error per mistake; which properties each tag takes is
 * checked by `validateCampaign` (src/flows/campaign-definition.ts). Unknown properties anywhere → 400.
 */

const FieldName = Type.String({ minLength: 1, maxLength: 100, description: 'A person field name.' });

export const CampaignTrigger = Type.Object(
  {
    type: Type.Enum([
      'person-created',
      'field-changed',
      'added-through-api',
      'crm-type-changed',
      'crm-deleted',
    ]),
    field: Type.Optional(FieldName),
    from: Type.Optional(PersonValue),
    to: Type.Optional(PersonValue),
  },
  {
    additionalProperties: false,
    title: 'CampaignTrigger',
    description:
      '`person-created` (by any channel; from the CRM once the initial load is done); `added-through-api` ' +
      '(created with POST /api/v1/persons); `field-changed` with `field` and optional `from`/`to`; ' +
      '`crm-type-changed` with optional `from`/`to` ("lead", "contact" or null; lead → contact is a qualify); ' +
      '`crm-deleted` (the CRM record was deleted, `crmIsDeleted` became true). Changes of any origin fire, the ' +
      "sync's included, except a campaign's own writes.",
  },
);

export const CampaignFilter = Type.Object(
  {
    field: FieldName,
    operator: Type.Enum([...filterOperators]),
    value: Type.Optional(PersonValue),
  },
  {
    additionalProperties: false,
    title: 'CampaignFilter',
    description: '`value` for equals, not-equals and contains; text compares case-insensitively.',
  },
);

export const CampaignStep = Type.Object(
  {
    action: Type.Enum(['sync-to-crm', 'change-owner', 'create-task']),
    syncAs: Type.Optional(Type.Enum(['lead', 'contact'])),
    ownerId: Type.Optional(Type.String({ format: 'uuid' })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    dueInDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  },
  {
    additionalProperties: false,
    title: 'CampaignStep',
    description:
      '`sync-to-crm` {syncAs, ownerId?}; `change-owner` {ownerId}; `create-task` {subject, description?, dueInDays?}.',
  },
);

export const CampaignInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    enabled: Type.Boolean(),
    trigger: CampaignTrigger,
    filters: Type.Array(CampaignFilter, { maxItems: 50 }),
    steps: Type.Array(CampaignStep, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false, title: 'CampaignInput' },
);
export type CampaignInput = Static<typeof CampaignInput>;

export const Campaign = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    enabled: Type.Boolean(),
    trigger: CampaignTrigger,
    filters: Type.Array(CampaignFilter),
    steps: Type.Array(CampaignStep),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Campaign' },
);
export type Campaign = Static<typeof Campaign>;

export const CampaignList = pageOf(Campaign);

export const CampaignIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The campaign id.' }),
});
export type CampaignIdParams = Static<typeof CampaignIdParams>;

/** One run of a campaign for one person, with each step's outcome (B7.5). */
export const CampaignRun = Type.Object(
  {
    id: Type.String(),
    campaignId: Type.String(),
    personId: Type.String(),
    status: Type.Enum(['running', 'succeeded', 'failed']),
    results: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'CampaignRun' },
);
export type CampaignRun = Static<typeof CampaignRun>;

export const CampaignRunList = pageOf(CampaignRun);
