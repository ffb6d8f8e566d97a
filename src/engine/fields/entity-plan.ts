import type { DescribedAttribute, EntityDescription } from '../../connectors/connector.ts';
import { buildFieldMappings, type FieldMapping } from '../../domain/field-catalog.ts';
import type { FieldPolicy } from '../../domain/field-policy.ts';
import { isPersonEntity, syncFilterAttribute, type SyncEntity } from '../../domain/sync-entities.ts';
import type { SyncField } from '../../domain/sync-field.ts';

/**
 * Structural attributes a pass reads besides the selected fields: links (B1.3–B1.5), qualify (B3.4), merge
 * (B3.5), the sync filter (B3.7), the CRM creation date and, for persons, when the record last changed (the start
 * of a change's `fromCrm` latency, B2.8). Read only where the entity has them.
 */
const structuralAttributes: Readonly<Record<string, readonly string[]>> = {
  lead: ['ownerid', 'createdon', 'modifiedon', 'statecode', 'merged', 'masterid', syncFilterAttribute],
  contact: [
    'ownerid',
    'createdon',
    'modifiedon',
    'statecode',
    'parentcustomerid',
    'originatingleadid',
    'merged',
    'masterid',
    syncFilterAttribute,
  ],
  account: ['ownerid', 'name', syncFilterAttribute],
  systemuser: ['fullname', 'internalemailaddress'],
  team: ['name'],
  opportunity: ['name', 'customerid', 'ownerid', syncFilterAttribute],
};

/** How one entity is read and applied in a pass, built from the CRM metadata and the saved selection. */
export interface EntityPlan {
  readonly entity: SyncEntity;
  readonly description: EntityDescription;
  /** Selected fields that sync now (not backfilling or quarantined). */
  readonly mappings: readonly FieldMapping[];
  /** Lookups kept on one-way mirror rows (B1.3): every readable lookup of custom entities and opportunities. */
  readonly lookups: readonly string[];
  /** Every attribute read (`$select`). */
  readonly select: readonly string[];
  readonly attributes: ReadonlyMap<string, DescribedAttribute>;
}

export function buildEntityPlan(
  entity: SyncEntity,
  description: EntityDescription,
  fields: readonly SyncField[],
): EntityPlan {
  const attributes = new Map(description.attributes.map((attribute) => [attribute.logicalName, attribute]));
  const active = fields.filter((field) => field.selected && field.state === 'synced');
  const overrides: Record<string, FieldPolicy> = {};
  for (const field of active) if (field.policy) overrides[field.attribute] = field.policy;
  const mappings = buildFieldMappings({
    entity: entity.name,
    twoWay: entity.direction === 'two-way',
    attributes: description.attributes,
    selected: active.map((field) => field.attribute),
    overrides,
  });
  const readable = (name: string) => attributes.get(name)?.read === true;
  const lookups = isPersonEntity(entity.name)
    ? []
    : description.attributes
        .filter(
          (attribute) =>
            attribute.kind === 'lookup' &&
            attribute.read &&
            attribute.metadata.attributeOf === undefined &&
            (structuralAttributes[entity.name]?.includes(attribute.logicalName) ?? true),
        )
        .map((attribute) => attribute.logicalName);
  const structural = (structuralAttributes[entity.name] ?? [syncFilterAttribute]).filter(readable);
  const select = [
    ...new Set([...mappings.map((mapping) => mapping.attribute.logicalName), ...structural, ...lookups]),
  ];
  return { entity, description, mappings, lookups, select, attributes };
}

/**
 * The mappings of some attributes as if they already synced: what a backfill writes (B5.5) and which person
 * fields a new selection needs (B5.2), before the fields leave the `backfilling` state.
 */
export function mappingsOf(
  entity: SyncEntity,
  description: EntityDescription,
  fields: readonly SyncField[],
  attributes: readonly string[],
): FieldMapping[] {
  const asSynced = fields.map((field) =>
    attributes.includes(field.attribute) ? { ...field, state: 'synced' as const, selected: true } : field,
  );
  return buildEntityPlan(entity, description, asSynced).mappings.filter((mapping) =>
    attributes.includes(mapping.attribute.logicalName),
  );
}

/** A copy of the plan that neither syncs nor reads `attribute` (a quarantined field, B5.6). */
export function planWithout(plan: EntityPlan, attribute: string): EntityPlan {
  return {
    ...plan,
    mappings: plan.mappings.filter((mapping) => mapping.attribute.logicalName !== attribute),
    lookups: plan.lookups.filter((lookup) => lookup !== attribute),
    select: plan.select.filter((name) => name !== attribute),
  };
}
