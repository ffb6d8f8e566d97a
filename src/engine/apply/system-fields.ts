import { fromCrmValue } from '../../domain/crm-attribute.ts';
import type { Store } from '../../store/store.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
import type { MirrorRow } from '../../store/mirror-store.ts';
import { isLookupValue, type CrmRecord } from '../../domain/crm-record.ts';
import type { PersonValue } from '../../domain/person.ts';

/**
 * The read-only system fields a CRM record gives its person (interfaces.md §6): type and ids, the owner
 * (a systemuser **or a team**, B1.5), the account of a contact (B1.4) and the CRM creation date.
 */
export async function systemFieldsOf(
  store: Store,
  context: PassContext,
  plan: EntityPlan,
  record: CrmRecord,
): Promise<Record<string, PersonValue>> {
  const owner = ownerOf(record);
  const row = owner === undefined ? undefined : await context.mirrorRow(store, owner.entity, owner.id);
  return systemFieldsWith(plan, record, row);
}

/**
 * `systemFieldsOf` without a read: undefined when the owner's mirror row is not in the pass's cache. A page
 * prefetches its owners and accounts (person-page-applier.ts), so its records almost always take this path,
 * without a promise per record.
 */
export function cachedSystemFieldsOf(
  context: PassContext,
  plan: EntityPlan,
  record: CrmRecord,
): Record<string, PersonValue> | undefined {
  const owner = ownerOf(record);
  if (owner === undefined) return systemFieldsWith(plan, record, undefined);
  const row = context.cachedMirrorRow(owner.entity, owner.id);
  return row === undefined ? undefined : systemFieldsWith(plan, record, row ?? undefined);
}

/** The owner's mirror entity: a team, or a systemuser (B1.5). */
function ownerOf(record: CrmRecord): { entity: 'team' | 'systemuser'; id: string } | undefined {
  const owner = record.values.ownerid;
  if (!isLookupValue(owner)) return undefined;
  return { entity: owner.entity === 'team' ? 'team' : 'systemuser', id: owner.id };
}

function systemFieldsWith(
  plan: EntityPlan,
  record: CrmRecord,
  ownerRow: MirrorRow | undefined,
): Record<string, PersonValue> {
  const entity = plan.entity.name;
  // Two literals rather than one with a computed key: every person of an entity gets the same object shape.
  const fields: Record<string, PersonValue> =
    entity === 'lead'
      ? { crmType: entity, crmLeadId: record.id, crmIsDeleted: false }
      : { crmType: entity, crmContactId: record.id, crmIsDeleted: false };
  const createdOn = record.values.createdon;
  if (typeof createdOn === 'string') fields.crmCreatedAt = createdOn.replace(/\.\d+Z$/, 'Z');
  const owner = record.values.ownerid;
  if (isLookupValue(owner)) {
    const team = owner.entity === 'team';
    fields.crmOwnerId = owner.id;
    fields.crmOwnerName = textOf(ownerRow?.attributes[team ? 'name' : 'fullname']);
    // Teams have no email of their own (B1.5: supported, with the fields that exist).
    fields.crmOwnerEmail = team ? null : textOf(ownerRow?.attributes.internalemailaddress);
  } else if (plan.select.includes('ownerid')) {
    fields.crmOwnerId = null;
    fields.crmOwnerName = null;
    fields.crmOwnerEmail = null;
  }
  if (entity === 'contact') {
    const parent = record.values.parentcustomerid;
    fields.crmAccountId = isLookupValue(parent) && parent.entity !== 'contact' ? parent.id : null;
  }
  return fields;
}

/** Company fields of a contact's person, from its account's mirror row (B1.4). */
export function companyFieldsOf(
  accountPlan: EntityPlan | undefined,
  account: Readonly<Record<string, unknown>> | undefined,
): Record<string, PersonValue> {
  const fields: Record<string, PersonValue> = {};
  if (accountPlan === undefined) return fields;
  for (const mapping of accountPlan.mappings) {
    if (mapping.personField === undefined) continue;
    fields[mapping.personField] =
      account === undefined ? null : fromCrmValue(mapping.attribute, account[mapping.attribute.logicalName]);
  }
  return fields;
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
