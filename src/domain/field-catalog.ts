import type { CrmAttribute } from './crm-attribute.ts';
import { personFieldType } from './crm-attribute.ts';
import type { FieldPolicy } from './field-policy.ts';
import { companyFieldNames, standardFields, type PersonFieldType } from './person-fields.ts';
import { isPersonEntity } from './sync-entities.ts';

/** An attribute as the sync user sees it: metadata plus the caller's field-level security (B5.1). */
export interface AttributeAccess extends CrmAttribute {
  readonly isSecured: boolean;
  /** IsValidForRead and, for a secured attribute, the sync user's CanRead privilege. */
  readonly read: boolean;
  readonly create: boolean;
  readonly update: boolean;
}

/** One selected, mappable attribute of one entity and how it syncs. */
export interface FieldMapping {
  readonly entity: string;
  readonly attribute: AttributeAccess;
  /** The person field it fills (lead/contact, and account company fields); undefined → mirror-only attribute. */
  readonly personField: string | undefined;
  readonly personFieldType: PersonFieldType | undefined;
  readonly policy: FieldPolicy;
}

/** The default selection (interfaces.md §6): every mapped standard attribute of the entity. */
export function defaultSelection(entity: string): string[] {
  const key = entity === 'lead' || entity === 'contact' || entity === 'account' ? entity : undefined;
  if (key === undefined) return [];
  return standardFields.flatMap((field) => (field[key] === undefined ? [] : [field[key]]));
}

/** The person field an attribute of a person or account entity maps to (B5.2, B1.4). */
export function personFieldFor(entity: string, attribute: string): string | undefined {
  if (isPersonEntity(entity)) {
    const standard = standardFields.find((field) => field[entity] === attribute);
    if (standard) return standard.name;
    // A standard person field already owns this logical name through the other entity? Use that field.
    const other = standardFields.find((field) => field.lead === attribute || field.contact === attribute);
    return other ? other.name : attribute;
  }
  if (entity === 'account') return standardFields.find((field) => field.account === attribute)?.name;
  return undefined;
}

/**
 * The mapping of the selected attributes (B5.1–B5.3): unreadable attributes are never mapped; an attribute the
 * sync user can read but not update is pulled and never pushed; company fields and one-way entities are
 * CRM → marketing only (B1.2, B1.4).
 */
export function buildFieldMappings(options: {
  entity: string;
  twoWay: boolean;
  attributes: readonly AttributeAccess[];
  selected: readonly string[];
  excluded?: ReadonlySet<string>;
  overrides?: Readonly<Record<string, FieldPolicy>>;
}): FieldMapping[] {
  const byName = new Map(options.attributes.map((attribute) => [attribute.logicalName, attribute]));
  const mappings: FieldMapping[] = [];
  for (const name of options.selected) {
    const attribute = byName.get(name);
    if (!attribute || !attribute.read || options.excluded?.has(name)) continue;
    if (attribute.kind === 'lookup' || attribute.kind === 'unsupported') continue;
    const personField = personFieldFor(options.entity, name);
    const pushable =
      options.twoWay &&
      attribute.update &&
      !(personField !== undefined && companyFieldNames.includes(personField) && options.entity !== 'lead');
    const override = options.overrides?.[name];
    mappings.push({
      entity: options.entity,
      attribute,
      personField,
      personFieldType: personFieldType(attribute),
      policy: !pushable ? 'crm-to-marketing' : (override ?? 'two-way'),
    });
  }
  return mappings;
}
