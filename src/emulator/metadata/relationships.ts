import { lookupTypeColumn } from '../records/record-serializer.ts';
import type { Row } from '../state/row.ts';
import type { AttributeDefinition } from './attribute-definition.ts';
import type { Catalog } from './catalog.ts';
import type { EntityDefinition } from './entity-definition.ts';

/**
 * One-to-many relationships, derived from the lookups: each lookup target gets a collection-valued navigation
 * property named after the relationship's schema name (Dataverse names the referenced side's collection
 * after the relationship: `accounts(<id>)/contact_customer_accounts`), the partner of the lookup's
 * single-valued navigation property in `$metadata`.
 */
export interface OneToMany {
  /** Relationship schema name = the collection-valued navigation property on the referenced table. */
  readonly name: string;
  /** The "one" side (the lookup's target). */
  readonly referenced: string;
  /** The "many" side, which holds the lookup. */
  readonly referencing: EntityDefinition;
  readonly attribute: AttributeDefinition;
  /** The referencing table's single-valued navigation property for this target. */
  readonly navigation: string;
}

/**
 * Relationship names of the standard tables as Dataverse has them (table reference pages, Learn's
 * `contact_customer_accounts` / `Account_Tasks` / `user_accounts` examples). Lookups not listed get
 * `lk_<table>_<lookup>` (Dataverse's own pattern for many system lookups), with `_<target>` for polymorphic
 * ones — the emulator's choice where the real name differs.
 */
const knownNames: Record<string, string> = {
  'contact.parentcustomerid.account': 'contact_customer_accounts',
  'contact.parentcustomerid.contact': 'contact_customer_contacts',
  'contact.originatingleadid.lead': 'contact_originating_lead',
  'contact.masterid.contact': 'contact_master_contact',
  'account.primarycontactid.contact': 'account_primary_contact',
  'account.parentaccountid.account': 'account_parent_account',
  'account.originatingleadid.lead': 'account_originating_lead',
  'account.masterid.account': 'account_master_account',
  'lead.parentaccountid.account': 'lead_parent_account',
  'lead.parentcontactid.contact': 'lead_parent_contact',
  'lead.masterid.lead': 'lead_master_lead',
  'opportunity.customerid.account': 'opportunity_customer_accounts',
  'opportunity.customerid.contact': 'opportunity_customer_contacts',
  'opportunity.parentaccountid.account': 'opportunity_parent_account',
  'opportunity.parentcontactid.contact': 'opportunity_parent_contact',
  'opportunity.originatingleadid.lead': 'opportunity_originating_lead',
  'task.regardingobjectid.contact': 'Contact_Tasks',
  'task.regardingobjectid.account': 'Account_Tasks',
  'task.regardingobjectid.lead': 'Lead_Tasks',
  'task.regardingobjectid.opportunity': 'Opportunity_Tasks',
  'new_subscription.new_contactid.contact': 'new_contact_new_subscription_ContactId',
};

/** Tables whose created/modified-by relationships carry Dataverse's `base` suffix. */
const baseNamed = new Set(['account', 'contact', 'lead', 'opportunity']);

export function relationshipName(
  entity: EntityDefinition,
  attribute: AttributeDefinition,
  target: string,
): string {
  const known = knownNames[`${entity.logicalName}.${attribute.logicalName}.${target}`];
  if (known) return known;
  const name = attribute.logicalName;
  if (attribute.type === 'Owner') return `${target === 'team' ? 'team' : 'user'}_${entity.entitySetName}`;
  if (name === 'transactioncurrencyid') return `transactioncurrency_${entity.logicalName}`;
  if (name === 'owningbusinessunit') return `business_unit_${entity.entitySetName}`;
  if ((name === 'createdby' || name === 'modifiedby') && baseNamed.has(entity.logicalName))
    return `lk_${entity.logicalName}base_${name}`;
  return (attribute.targets?.length ?? 0) > 1
    ? `lk_${entity.logicalName}_${name}_${target}`
    : `lk_${entity.logicalName}_${name}`;
}

/** The one-to-many relationships whose referenced side is `referenced`, by collection-valued property name. */
export function oneToManyOf(catalog: Catalog, referenced: string): Map<string, OneToMany> {
  const out = new Map<string, OneToMany>();
  for (const entity of catalog.entities.values()) {
    for (const attribute of entity.attributes) {
      for (const [target, navigation] of Object.entries(attribute.navigation ?? {})) {
        if (target !== referenced || !catalog.entity(target)) continue;
        const name = relationshipName(entity, attribute, target);
        out.set(name, { name, referenced, referencing: entity, attribute, navigation });
      }
    }
  }
  return out;
}

/** Whether a referencing row points at the referenced record `id` through this relationship. */
export function pointsAt(relationship: OneToMany): (row: Row, id: string) => boolean {
  const index = relationship.attribute.index;
  const typeColumn = lookupTypeColumn(relationship.referencing, relationship.attribute);
  const target = relationship.referenced;
  return typeColumn === undefined
    ? (row, id) => row[index] === id
    : (row, id) => row[index] === id && row[typeColumn] === target;
}

/**
 * A single-valued navigation property of `entity`: its lookup and the targets it may point at (`ownerid`
 * names both systemuser and team; `parentcustomerid_account` only account).
 */
export function singleValued(
  entity: EntityDefinition,
  name: string,
): { attribute: AttributeDefinition; targets: string[] } | undefined {
  const navigation = entity.navigation.get(name);
  if (!navigation) return undefined;
  const { attribute } = navigation;
  const targets = Object.entries(attribute.navigation ?? {})
    .filter(([, nav]) => nav === name)
    .map(([target]) => target);
  return { attribute, targets };
}
