import { fromCrmValue } from '../../domain/crm-attribute.ts';
import type { Store } from '../../store/store.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
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
  const entity = plan.entity.name;
  const fields: Record<string, PersonValue> = {
    crmType: entity,
    [entity === 'lead' ? 'crmLeadId' : 'crmContactId']: record.id,
    crmIsDeleted: false,
  };
  const createdOn = record.values.createdon;
  if (typeof createdOn === 'string') fields.crmCreatedAt = createdOn.replace(/\.\d+Z$/, 'Z');
  const owner = record.values.ownerid;
  if (isLookupValue(owner)) {
    const ownerEntity = owner.entity === 'team' ? 'team' : 'systemuser';
    const row = await context.mirrorRow(store, ownerEntity, owner.id);
    fields.crmOwnerId = owner.id;
    fields.crmOwnerName = textOf(row?.attributes[ownerEntity === 'team' ? 'name' : 'fullname']);
    // Teams have no email of their own (B1.5: supported, with the fields that exist).
    fields.crmOwnerEmail = ownerEntity === 'team' ? null : textOf(row?.attributes.internalemailaddress);
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
