import type { SyncFieldSelection, SyncFieldView } from './api/types.ts';

/** A per-field collision policy (B4.6); null means the entity's rule (B4.3). */
export type FieldPolicy = NonNullable<SyncFieldView['policy']>;

export const fieldPolicies = [
  'two-way',
  'crm-wins',
  'marketing-wins',
  'crm-to-marketing',
  'marketing-to-crm',
  'fill-blanks',
] as const satisfies readonly FieldPolicy[];

/** Per entity: the selected attributes and their policy override. */
export type Selection = Readonly<Record<string, ReadonlyMap<string, FieldPolicy | null>>>;

/** The selection the server has. */
export function selectionOf(fields: readonly SyncFieldView[]): Selection {
  const selection: Record<string, Map<string, FieldPolicy | null>> = {};
  for (const field of fields) {
    const entity = (selection[field.entity] ??= new Map());
    if (field.selected) entity.set(field.attribute, field.policy);
  }
  return selection;
}

/** Selects (with `policy`) or deselects one attribute. */
export function withField(
  selection: Selection,
  entity: string,
  attribute: string,
  selected: boolean,
  policy: FieldPolicy | null = null,
): Selection {
  const next = new Map(selection[entity]);
  if (selected) next.set(attribute, policy);
  else next.delete(attribute);
  return { ...selection, [entity]: next };
}

const sameEntity = (
  a: ReadonlyMap<string, unknown> | undefined,
  b: ReadonlyMap<string, unknown> | undefined,
) =>
  (a?.size ?? 0) === (b?.size ?? 0) &&
  [...(a ?? new Map<string, unknown>())].every(
    ([key, value]) => b?.has(key) === true && b.get(key) === value,
  );

/** The entities whose selection differs from the saved one. */
export const changedEntities = (selection: Selection, saved: Selection): string[] =>
  [...new Set([...Object.keys(selection), ...Object.keys(saved)])].filter(
    (entity) => !sameEntity(selection[entity], saved[entity]),
  );

/**
 * The `PUT /api/v1/sync/fields` body for `entities` (only those are replaced). An attribute with a policy goes
 * as `{attribute, policy}`, so saving never drops an override the operator did not touch.
 */
export function selectionBody(selection: Selection, entities: readonly string[]): SyncFieldSelection {
  const body: SyncFieldSelection = {};
  for (const entity of entities) {
    body[entity] = [...(selection[entity] ?? new Map())]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([attribute, policy]) => (policy === null ? attribute : { attribute, policy }));
  }
  return body;
}

/** Attributes selected now that were not selected before: the ones a save will backfill (B5.5). */
export const addedAttributes = (selection: Selection, saved: Selection): string[] =>
  Object.entries(selection).flatMap(([entity, attributes]) =>
    [...attributes.keys()]
      .filter((attribute) => saved[entity]?.has(attribute) !== true)
      .map((attribute) => `${entity}.${attribute}`),
  );
