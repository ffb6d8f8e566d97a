import type { PersonValue } from '../domain/person.ts';
import type { PersonChange } from '../store/person-store.ts';

/**
 * Trigger campaigns (B7.5) as data: a trigger, filters on person fields, and flow steps. The API validates a
 * definition against these shapes (`validateCampaign`); the store keeps it as given; the runner evaluates it.
 */

/** A person's CRM type (the system field `crmType`): null while it is linked to nothing. */
export type CrmType = 'lead' | 'contact' | null;
export const crmTypes: readonly CrmType[] = ['lead', 'contact', null];

export type CampaignTrigger =
  | { readonly type: 'person-created' }
  | { readonly type: 'added-through-api' }
  | {
      /** The person's `crmType` changed: linked to a lead or contact, or qualified (lead → contact, B3.4). */
      readonly type: 'crm-type-changed';
      /** The type before; absent → any. */
      readonly from?: CrmType;
      /** The type after; absent → any. */
      readonly to?: CrmType;
    }
  /** The person's CRM record was deleted in the CRM (`crmIsDeleted` became true, B3.6). */
  | { readonly type: 'crm-deleted' }
  | {
      readonly type: 'field-changed';
      readonly field: string;
      /** The value before the change; absent → any. */
      readonly from?: PersonValue;
      /** The value after the change; absent → any. */
      readonly to?: PersonValue;
    };

export const filterOperators = ['equals', 'not-equals', 'contains', 'is-empty', 'is-not-empty'] as const;
export type FilterOperator = (typeof filterOperators)[number];

export interface CampaignFilter {
  readonly field: string;
  readonly operator: FilterOperator;
  /** Needed by equals, not-equals and contains; not allowed with is-empty / is-not-empty. */
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

/** One problem with a definition, in the API's validation-details shape. */
export interface DefinitionProblem {
  readonly path: string;
  readonly message: string;
}

const valueOperators: ReadonlySet<FilterOperator> = new Set(['equals', 'not-equals', 'contains']);

/**
 * The rules a schema cannot say clearly (its union errors list every alternative): which properties each
 * trigger type and step action takes, and that every field named exists. Returns every problem, none when valid.
 */
export function validateCampaign(
  definition: CampaignDefinition,
  knownFields: ReadonlySet<string>,
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const field = (path: string, name: string) => {
    if (!knownFields.has(name)) problems.push({ path, message: `no person field named "${name}"` });
  };
  const trigger = definition.trigger as Record<string, unknown>;
  const allowed = triggerProperties[trigger.type as CampaignTrigger['type']] ?? [];
  for (const name of ['field', 'from', 'to'])
    if (name in trigger && !allowed.includes(name))
      problems.push({
        path: `/trigger/${name}`,
        message: `is not allowed with trigger type ${String(trigger.type)}`,
      });
  if (trigger.type === 'field-changed') {
    if (typeof trigger.field !== 'string') problems.push({ path: '/trigger/field', message: 'is required' });
    else field('/trigger/field', trigger.field);
  }
  if (trigger.type === 'crm-type-changed') {
    for (const name of ['from', 'to'])
      if (name in trigger && !crmTypes.includes(trigger[name] as CrmType))
        problems.push({ path: `/trigger/${name}`, message: 'must be "lead", "contact" or null' });
    if ('from' in trigger && 'to' in trigger && trigger.from === trigger.to)
      problems.push({
        path: '/trigger/to',
        message: 'must differ from "from": a type that stays is no change',
      });
  }
  definition.filters.forEach((filter, index) => {
    field(`/filters/${index}/field`, filter.field);
    const takesValue = valueOperators.has(filter.operator);
    if (takesValue && filter.value === undefined)
      problems.push({
        path: `/filters/${index}/value`,
        message: `is required with operator ${filter.operator}`,
      });
    if (!takesValue && filter.value !== undefined)
      problems.push({
        path: `/filters/${index}/value`,
        message: `is not allowed with operator ${filter.operator}`,
      });
  });
  if (definition.steps.length === 0) problems.push({ path: '/steps', message: 'needs at least one step' });
  definition.steps.forEach((step, index) => {
    const given = step as Record<string, unknown>;
    const allowed = stepProperties[step.action];
    for (const name of Object.keys(given)) {
      if (!allowed.includes(name))
        problems.push({
          path: `/steps/${index}/${name}`,
          message: `is not allowed with action ${step.action}`,
        });
    }
    for (const name of requiredStepProperties[step.action]) {
      if (given[name] === undefined)
        problems.push({ path: `/steps/${index}/${name}`, message: 'is required' });
    }
  });
  return problems;
}

const triggerProperties: Readonly<Record<CampaignTrigger['type'], readonly string[]>> = {
  'person-created': [],
  'added-through-api': [],
  'field-changed': ['field', 'from', 'to'],
  'crm-type-changed': ['from', 'to'],
  'crm-deleted': [],
};

const stepProperties: Readonly<Record<CampaignStep['action'], readonly string[]>> = {
  'sync-to-crm': ['action', 'syncAs', 'ownerId'],
  'change-owner': ['action', 'ownerId'],
  'create-task': ['action', 'subject', 'description', 'dueInDays'],
};

const requiredStepProperties: Readonly<Record<CampaignStep['action'], readonly string[]>> = {
  'sync-to-crm': ['syncAs'],
  'change-owner': ['ownerId'],
  'create-task': ['subject'],
};

/** The person's watched values as last seen by the runner; undefined when it never saw the person. */
export type PreviousValues = Readonly<Record<string, PersonValue>> | undefined;

/**
 * Whether a change can fire the trigger at all, from the change alone (kind and changed fields): the runner
 * loads the person only for a change some campaign may fire on — most of the sync's writes concern none.
 */
export function mayFire(trigger: CampaignTrigger, change: Pick<PersonChange, 'kind' | 'origin' | 'fields'>) {
  switch (trigger.type) {
    case 'person-created':
      return change.kind === 'create';
    case 'added-through-api':
      return change.kind === 'create' && change.origin === 'api';
    case 'field-changed':
      return change.kind === 'update' && change.fields.includes(trigger.field);
    case 'crm-type-changed':
      return change.kind === 'update' && change.fields.includes('crmType');
    case 'crm-deleted':
      return change.kind === 'update' && change.fields.includes('crmIsDeleted');
    default:
      return false;
  }
}

/**
 * Whether a committed change fires the trigger — changes of any origin, the sync's included (B7.5: a campaign
 * sees what the sync does); the runner keeps a campaign from firing on its own writes:
 * - person-created: any create (from the CRM too, once the initial load is done: the runner's rule);
 * - added-through-api: a create made through the API;
 * - field-changed: an update whose changed fields include the field and whose value moved (from the runner's
 *   last-seen value, when it has one) to `to`; `from` needs that last-seen value, so a person the runner never
 *   saw before does not match a trigger with `from`.
 */
export function triggerFires(
  trigger: CampaignTrigger,
  change: Pick<PersonChange, 'kind' | 'origin' | 'fields'>,
  current: Readonly<Record<string, PersonValue>>,
  previous: PreviousValues,
): boolean {
  switch (trigger.type) {
    case 'person-created':
      return change.kind === 'create';
    case 'added-through-api':
      return change.kind === 'create' && change.origin === 'api';
    case 'field-changed': {
      if (change.kind !== 'update' || !change.fields.includes(trigger.field)) return false;
      const now = current[trigger.field] ?? null;
      const known = previous !== undefined && trigger.field in previous;
      const before = known ? (previous[trigger.field] ?? null) : undefined;
      // Two quick edits read as one: the runner compares with the value it saw last, so A → B → A is no change.
      if (known && sameValue(before!, now)) return false;
      if (trigger.to !== undefined && !sameValue(now, trigger.to)) return false;
      if (trigger.from !== undefined && (!known || !sameValue(before!, trigger.from))) return false;
      return true;
    }
    case 'crm-type-changed': {
      if (change.kind !== 'update' || !change.fields.includes('crmType')) return false;
      const now = (current.crmType ?? null) as CrmType;
      // The runner reads the person as it is when it handles the change: two quick changes read as one, as
      // with field-changed, so the last-seen type comes first and the inference only stands in for it.
      const known = previous !== undefined && 'crmType' in previous;
      const before = known ? ((previous.crmType ?? null) as CrmType) : previousCrmType(now, current);
      if (before === now) return false;
      if (trigger.to !== undefined && trigger.to !== now) return false;
      if (trigger.from !== undefined && trigger.from !== before) return false;
      return true;
    }
    case 'crm-deleted':
      return (
        change.kind === 'update' &&
        change.fields.includes('crmIsDeleted') &&
        current.crmIsDeleted === true &&
        previous?.crmIsDeleted !== true
      );
    default:
      return false;
  }
}

/**
 * The type a person had before its `crmType` changed to `now`, read from the person itself rather than from
 * remembered values, so it holds for persons the runner never saw: the sync moves a type only from null to a
 * lead or a contact (a first link, B3.2, B7.1) and from a lead to a contact (qualify, B3.4, which keeps
 * `crmLeadId`). So a contact with a lead id was a lead; any other new type was null.
 */
function previousCrmType(now: CrmType, current: Readonly<Record<string, PersonValue>>): CrmType {
  if (now === 'contact' && typeof current.crmLeadId === 'string' && current.crmLeadId !== '') return 'lead';
  return null;
}

/** Every filter holds (an empty list always does). Text compares case-insensitively, as marketers expect. */
export function filtersMatch(
  filters: readonly CampaignFilter[],
  fields: Readonly<Record<string, PersonValue>>,
): boolean {
  return filters.every((filter) => filterMatches(filter, fields[filter.field] ?? null));
}

function filterMatches(filter: CampaignFilter, value: PersonValue): boolean {
  switch (filter.operator) {
    case 'equals':
      return sameValue(value, filter.value ?? null);
    case 'not-equals':
      return !sameValue(value, filter.value ?? null);
    case 'contains':
      return (
        value !== null &&
        String(value)
          .toLowerCase()
          .includes(String(filter.value ?? '').toLowerCase())
      );
    case 'is-empty':
      return value === null || value === '';
    case 'is-not-empty':
      return value !== null && value !== '';
    default:
      return false;
  }
}

/** Equal values; strings case-insensitively ("web" equals the option label "Web"). */
export function sameValue(a: PersonValue, b: PersonValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

/** Fields whose previous value some enabled trigger needs (the runner remembers them per person). */
export function watchedFields(definitions: readonly CampaignDefinition[]): string[] {
  const fields = new Set<string>();
  for (const { trigger } of definitions) {
    if (trigger.type === 'field-changed') fields.add(trigger.field);
    if (trigger.type === 'crm-type-changed') fields.add('crmType');
    if (trigger.type === 'crm-deleted') fields.add('crmIsDeleted');
  }
  return [...fields].sort();
}
