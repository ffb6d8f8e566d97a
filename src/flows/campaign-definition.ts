import type { PersonValue } from '../domain/person.ts';
import type { PersonChange } from '../store/person-store.ts';

/**
 * Trigger campaigns (B7.5) as data: a trigger, filters on person fields, and flow steps. The API validates a
 * definition against these shapes (`validateCampaign`); the store keeps it as given; the runner evaluates it.
 */

export type CampaignTrigger =
  | { readonly type: 'person-created' }
  | { readonly type: 'added-through-api' }
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
  if (trigger.type === 'field-changed') {
    if (typeof trigger.field !== 'string') problems.push({ path: '/trigger/field', message: 'is required' });
    else field('/trigger/field', trigger.field);
  } else {
    for (const name of ['field', 'from', 'to'])
      if (name in trigger)
        problems.push({
          path: `/trigger/${name}`,
          message: `is not allowed with trigger type ${String(trigger.type)}`,
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
 * Whether a committed change fires the trigger (the runner has already skipped the sync's own writes, B4.4):
 * - person-created: any create;
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
    default:
      return false;
  }
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

/** Fields whose previous value some enabled trigger needs (`field-changed` triggers). */
export function watchedFields(definitions: readonly CampaignDefinition[]): string[] {
  const fields = new Set<string>();
  for (const definition of definitions)
    if (definition.trigger.type === 'field-changed') fields.add(definition.trigger.field);
  return [...fields].sort();
}
