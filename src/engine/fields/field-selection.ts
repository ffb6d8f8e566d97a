import type { DescribedAttribute, EntityDescription } from '../../connectors/connector.ts';
import { defaultSelection, personFieldFor } from '../../domain/field-catalog.ts';
import { personFieldType } from '../../domain/crm-attribute.ts';
import type { FieldPolicy } from '../../domain/field-policy.ts';
import type { SyncEntity } from '../../domain/sync-entities.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { EngineDeps } from '../engine-deps.ts';
import { mappingsOf } from './entity-plan.ts';
import { ensurePersonFields } from './person-field-registry.ts';
import { notifyQuarantine } from './quarantine-field.ts';
import type { FieldSelection } from '../admin/sync-admin.ts';
import type { SyncField, SyncFieldInput } from '../../domain/sync-field.ts';

/** Attributes that are values (not links, not shadow columns like `owneridname`) can be selected (B5.1). */
function isSelectable(attribute: DescribedAttribute): boolean {
  return (
    attribute.kind !== 'lookup' &&
    attribute.kind !== 'unsupported' &&
    attribute.metadata.attributeOf === undefined &&
    attribute.logicalName !== 'versionnumber'
  );
}

/** Default selections of the one-way entities (interfaces.md §6 covers lead, contact and account). */
const oneWayDefaults: Readonly<Record<string, readonly string[]>> = {
  systemuser: ['fullname', 'internalemailaddress', 'firstname', 'lastname'],
  team: ['name'],
  account: ['name'],
  opportunity: ['name', 'estimatedvalue', 'statecode', 'closeprobability', 'actualclosedate', 'description'],
};

function defaultSelected(entity: SyncEntity, attribute: DescribedAttribute): boolean {
  if (defaultSelection(entity.name).includes(attribute.logicalName)) return true;
  if (oneWayDefaults[entity.name]?.includes(attribute.logicalName)) return true;
  // Custom entities (B1.2): their custom attributes and primary name.
  return (
    entity.stage === 4 && (attribute.metadata.isCustomAttribute || attribute.logicalName.endsWith('name'))
  );
}

function fieldInput(
  entity: SyncEntity,
  attribute: DescribedAttribute,
  selected: boolean,
  state: SyncFieldInput['state'],
  stateReason: string | null,
  previous: SyncField | undefined,
): SyncFieldInput {
  const personField = personFieldFor(entity.name, attribute.logicalName) ?? null;
  return {
    entity: entity.name,
    attribute: attribute.logicalName,
    personField,
    type: personFieldType(attribute) ?? attribute.metadata.attributeType,
    access: { read: attribute.read, create: attribute.create, update: attribute.update },
    selected,
    state,
    stateReason,
    policy: previous?.policy ?? null,
    metadata: { attributeType: attribute.metadata.attributeType, kind: attribute.kind },
  };
}

/**
 * B5.6: did the attribute change type since the field was stored? The person-field type alone misses changes
 * such as Picklist → String (both strings to a person), so the stored CRM type and kind are compared too.
 */
function typeChange(
  previous: SyncField,
  attribute: DescribedAttribute,
  type: string,
): { from: string; to: string } | undefined {
  const was = previous.metadata ?? {};
  const crmType = attribute.metadata.attributeType;
  if (typeof was.attributeType === 'string' && was.attributeType !== crmType) {
    return { from: was.attributeType, to: crmType };
  }
  if (typeof was.kind === 'string' && was.kind !== attribute.kind)
    return { from: was.kind, to: attribute.kind };
  if (previous.type !== type) return { from: previous.type, to: type };
  return undefined;
}

export interface CatalogChanges {
  /** Selected attributes that disappeared or changed type (B5.6). */
  readonly quarantined: { entity: string; attribute: string; reason: string }[];
}

/**
 * Brings the stored field catalog of the entity in line with the CRM metadata: new attributes become
 * available (or selected by default on the first run), unreadable ones inaccessible, and a selected attribute
 * that disappeared or changed type is quarantined while every other field keeps syncing (B5.6).
 */
export async function refreshFieldCatalog(deps: EngineDeps, entity: SyncEntity): Promise<CatalogChanges> {
  const description = await deps.crm.describeEntity(entity.name);
  const stored = new Map(
    (await deps.store.listSyncFields(entity.name)).map((field) => [field.attribute, field]),
  );
  const firstRun = stored.size === 0;
  const updates: SyncFieldInput[] = [];
  const quarantined: CatalogChanges['quarantined'] = [];
  const seen = new Set<string>();
  for (const attribute of description.attributes) {
    if (!isSelectable(attribute)) continue;
    seen.add(attribute.logicalName);
    const previous = stored.get(attribute.logicalName);
    const type = personFieldType(attribute) ?? attribute.metadata.attributeType;
    if (!attribute.read) {
      if (previous?.state !== 'inaccessible' || previous.selected) {
        updates.push(
          fieldInput(entity, attribute, false, 'inaccessible', 'The sync user cannot read it.', previous),
        );
      }
      continue;
    }
    if (previous === undefined) {
      const selected = firstRun && defaultSelected(entity, attribute);
      updates.push(
        fieldInput(entity, attribute, selected, selected ? 'synced' : 'available', null, undefined),
      );
    } else if (previous.state !== 'inaccessible' && typeChange(previous, attribute, type) !== undefined) {
      const change = typeChange(previous, attribute, type)!;
      if (previous.selected && previous.state !== 'quarantined') {
        const reason = `Its type changed in the CRM from ${change.from} to ${change.to}.`;
        updates.push(fieldInput(entity, attribute, true, 'quarantined', reason, previous));
        quarantined.push({ entity: entity.name, attribute: attribute.logicalName, reason });
      } else {
        // Not synced now: only the stored type follows the CRM (a later selection backfills with the new type).
        updates.push(
          fieldInput(entity, attribute, previous.selected, previous.state, previous.stateReason, previous),
        );
      }
    } else if (previous.state === 'inaccessible') {
      updates.push(fieldInput(entity, attribute, false, 'available', null, previous));
    } else if (previous.access.update !== attribute.update || previous.access.create !== attribute.create) {
      updates.push(
        fieldInput(entity, attribute, previous.selected, previous.state, previous.stateReason, previous),
      );
    }
  }
  for (const previous of stored.values()) {
    if (seen.has(previous.attribute) || !previous.selected || previous.state === 'quarantined') continue;
    const reason = `The attribute ${previous.attribute} no longer exists in the CRM.`;
    await deps.store.setSyncFieldState(entity.name, previous.attribute, 'quarantined', reason);
    quarantined.push({ entity: entity.name, attribute: previous.attribute, reason });
  }
  if (updates.length > 0) await deps.store.upsertSyncFields(updates);
  for (const field of quarantined) await notifyQuarantine(deps, field);
  return { quarantined };
}

/**
 * B5.7: Syncline never creates CRM fields, so a selection naming an attribute the CRM lacks is refused. A field
 * that was selected and has since gone from the CRM may still be named: re-saving drops it and clears its
 * quarantine (B5.6).
 */
async function refuseFieldCreation(
  deps: EngineDeps,
  entity: string,
  items: FieldSelection[string],
): Promise<void> {
  const inCrm = new Set((await deps.crm.describeEntity(entity)).attributes.map((a) => a.logicalName));
  const selected = new Set(
    (await deps.store.listSyncFields(entity))
      .filter((field) => field.selected)
      .map((field) => field.attribute),
  );
  for (const item of items) {
    const attribute = typeof item === 'string' ? item : item.attribute;
    if (inCrm.has(attribute) || selected.has(attribute)) continue;
    throw new SynclineError(
      'CRM_FIELD_CREATION_NOT_SUPPORTED',
      `${entity} has no attribute "${attribute}" in the CRM, and Syncline does not create CRM fields (B5.7). ` +
        'Create the column in Dynamics 365 (Power Apps → Tables → Columns), then select it here; nothing was changed.',
      { details: { entity, attribute } },
    );
  }
}

/** The result of saving a selection: what changed, for the API's answer and the backfill runner. */
export interface SelectionResult {
  readonly backfills: { entity: string; attributes: string[] }[];
}

/**
 * Saves the selection (interfaces.md `PUT /api/v1/sync/fields`). Refreshes the schema from the CRM first (B5.4);
 * rejects attributes the CRM does not have (B5.7), unselectable or unreadable ones (400) and deselecting a
 * backfilling field (409, B5.5) without changing anything; newly selected fields start a backfill; re-saving clears quarantines (B5.6).
 */
export async function saveFieldSelection(
  deps: EngineDeps,
  entities: readonly SyncEntity[],
  selection: FieldSelection,
): Promise<SelectionResult> {
  const byName = new Map(entities.map((entity) => [entity.name, entity]));
  for (const name of Object.keys(selection)) {
    if (!byName.has(name)) {
      throw new SynclineError('VALIDATION_FAILED', `"${name}" is not a synced entity.`, {
        details: { entity: name, entities: [...byName.keys()] },
      });
    }
  }
  deps.crm.refreshMetadata();
  // Before the catalog is refreshed, so a refused selection changes nothing at all.
  for (const [name, items] of Object.entries(selection)) await refuseFieldCreation(deps, name, items);
  const plans: {
    entity: SyncEntity;
    fields: Map<string, SyncField>;
    wanted: Set<string>;
    policies: Map<string, FieldPolicy | null>;
  }[] = [];
  for (const [name, items] of Object.entries(selection)) {
    const entity = byName.get(name)!;
    await refreshFieldCatalog(deps, entity);
    const fields = new Map((await deps.store.listSyncFields(name)).map((field) => [field.attribute, field]));
    const policies = new Map<string, FieldPolicy | null>();
    for (const item of items) if (typeof item !== 'string') policies.set(item.attribute, item.policy);
    const wanted = new Set(items.map((item) => (typeof item === 'string' ? item : item.attribute)));
    for (const attribute of wanted) {
      const field = fields.get(attribute);
      if (field === undefined) {
        throw new SynclineError(
          'VALIDATION_FAILED',
          `${name}.${attribute} cannot be selected: it is a lookup or a system column, not a value (B5.1).`,
          { details: { entity: name, attribute } },
        );
      }
      if (field.state === 'inaccessible') {
        throw new SynclineError(
          'VALIDATION_FAILED',
          `${name}.${attribute} cannot be selected: the sync user cannot read it (B5.1).`,
          { details: { entity: name, attribute } },
        );
      }
    }
    for (const field of fields.values()) {
      if (field.selected && field.state === 'backfilling' && !wanted.has(field.attribute)) {
        throw new SynclineError(
          'CONFLICT',
          `${name}.${field.attribute} is being backfilled and cannot be deselected until the backfill is done (B5.5).`,
          { details: { entity: name, attribute: field.attribute } },
        );
      }
    }
    plans.push({ entity, fields, wanted, policies });
  }
  const backfills: SelectionResult['backfills'] = [];
  const description = new Map<string, Map<string, DescribedAttribute>>();
  const descriptions = new Map<string, EntityDescription>();
  for (const { entity } of plans) {
    const described = await deps.crm.describeEntity(entity.name);
    descriptions.set(entity.name, described);
    description.set(entity.name, new Map(described.attributes.map((a) => [a.logicalName, a])));
  }
  await deps.store.withTransaction(async (tx) => {
    for (const { entity, fields, wanted, policies } of plans) {
      const updates: SyncFieldInput[] = [];
      const started: string[] = [];
      for (const field of fields.values()) {
        const attribute = description.get(entity.name)!.get(field.attribute);
        const select = wanted.has(field.attribute);
        if (attribute === undefined) {
          // Gone from the CRM: saving drops it from the selection and so clears the quarantine (B5.6).
          if (field.selected) await tx.setSyncFieldState(entity.name, field.attribute, 'available', null);
          continue;
        }
        // An item without a policy keeps the stored one; `policy: null` returns to the entity rule (B4.6).
        const policy = policies.has(field.attribute) ? policies.get(field.attribute)! : field.policy;
        const withPolicy = { ...field, policy };
        if (select && (!field.selected || field.state === 'quarantined')) {
          updates.push(fieldInput(entity, attribute, true, 'backfilling', null, withPolicy));
          started.push(field.attribute);
        } else if (!select && field.selected) {
          updates.push(fieldInput(entity, attribute, false, 'available', null, withPolicy));
        } else if (policy !== field.policy) {
          updates.push(
            fieldInput(entity, attribute, field.selected, field.state, field.stateReason, withPolicy),
          );
        }
      }
      if (updates.length > 0) await tx.upsertSyncFields(updates);
      if (started.length > 0) {
        await tx.createBackfillJob({ entity: entity.name, attributes: started });
        backfills.push({ entity: entity.name, attributes: started });
        // B5.2: the person fields of newly selected attributes exist from now on (shown by the API, filled by the backfill).
        const described = descriptions.get(entity.name)!;
        await ensurePersonFields(tx, [
          { entity, mappings: mappingsOf(entity, described, await tx.listSyncFields(entity.name), started) },
        ]);
      }
    }
  });
  return { backfills };
}
