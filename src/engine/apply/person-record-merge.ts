import { fromCrmValue } from '../../domain/crm-attribute.ts';
import { entityCollisionWinner } from '../../domain/field-policy.ts';
import { mergeField } from '../../domain/merge.ts';
import type { PersonEntity } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import type { PersonPageInput } from './person-page-input.ts';
import type { PersonWrites } from './person-writes.ts';
import { companyFieldsOf, systemFieldsOf } from './system-fields.ts';
import { isLookupValue, type CrmRecord } from '../../domain/crm-record.ts';
import type { Person, PersonValue } from '../../domain/person.ts';
import type { CrmLink } from '../../store/link-store.ts';

/** The three-way merge of one linked record (B4.1–B4.4) plus its system and company fields. */
export async function mergeRecord(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  record: CrmRecord,
  link: Omit<CrmLink, 'linkedAt' | 'updatedAt'>,
  person: Person,
  bases: Map<string, PersonValue>,
  writes: PersonWrites,
): Promise<void> {
  const { context } = input;
  const updates: Record<string, PersonValue> = {};
  const newBases: Record<string, PersonValue> = {};
  const push: string[] = [];
  for (const mapping of input.plan.mappings) {
    const field = mapping.personField;
    if (field === undefined) continue;
    const attribute = mapping.attribute.logicalName;
    const crm = fromCrmValue(mapping.attribute, record.values[attribute]);
    const decision = mergeField({
      field,
      base: bases.has(attribute) ? bases.get(attribute)! : undefined,
      marketing: person.fields[field] ?? null,
      crm,
      policy: mapping.policy,
      entityWinner: entityCollisionWinner(entity),
    });
    if (decision.toMarketing) updates[field] = decision.toMarketing.value;
    // A value still to be pushed keeps its old base: the push sets it once the CRM has it (B2.4, B4.5).
    // On a first link (no base yet) the CRM's current value becomes the base, so the push is "a field that
    // differs from its base" and survives a later whole-record mark (which absorbs field lists) or a
    // transient failure; without it the marketing value of a first-link push was silently dropped (B3.2).
    if (decision.toCrm) {
      push.push(attribute);
      if (!bases.has(attribute)) newBases[attribute] = crm;
    } else if (decision.newBase) newBases[attribute] = decision.newBase.value;
    if (decision.conflict) {
      await tx.recordConflict({
        personId: person.id,
        entity,
        crmId: record.id,
        field,
        baseValue: decision.conflict.base ?? null,
        marketingValue: decision.conflict.marketingValue,
        crmValue: decision.conflict.crmValue,
        winner: decision.conflict.winner,
      });
      await writes.activity(person.id, 'crm.conflict', {
        field,
        winner: decision.conflict.winner,
        marketingValue: decision.conflict.marketingValue,
        crmValue: decision.conflict.crmValue,
      });
      context.count(`${entity}.conflicts`);
    }
  }
  for (const [field, value] of Object.entries(updates)) {
    if (!sameStored(person.fields[field], value)) {
      await writes.activity(person.id, 'data-value-changed', {
        field,
        oldValue: person.fields[field] ?? null,
        newValue: value,
        source: 'crm',
      });
    }
  }
  const system = await systemFieldsOf(tx, context, input.plan, record);
  if (
    person.fields.crmOwnerId !== undefined &&
    system.crmOwnerId !== undefined &&
    person.fields.crmOwnerId !== system.crmOwnerId &&
    person.fields.crmOwnerId !== null
  ) {
    await writes.activity(person.id, 'crm.owner-changed', {
      from: person.fields.crmOwnerId,
      to: system.crmOwnerId,
    });
  }
  // A person stays linked to one record (B1.1): a lead's person keeps its lead id when it later becomes a contact.
  const changes = { ...updates, ...system, ...(await companyFields(tx, input, record)) };
  await writes.updatePerson(person.id, changes);
  await writes.link({ ...link, etag: record.etag ?? link.etag });
  await writes.bases(entity, record.id, newBases);
  if (push.length > 0) await tx.markPendingPush(entity, record.id, person.id, push);
  const changed = Object.keys(updates).length > 0;
  context.count(`${entity}.fromCrm.${changed ? 'updated' : 'unchanged'}`);
}

export async function companyFields(tx: Store, input: PersonPageInput, record: CrmRecord) {
  if (input.plan.entity.name !== 'contact') return {};
  const parent = record.values.parentcustomerid;
  if (!isLookupValue(parent) || parent.entity === 'contact') return {};
  const account = await input.context.mirrorRow(tx, 'account', parent.id);
  if (account === undefined || account.deleted) return {};
  return companyFieldsOf(input.accountPlan, account.attributes);
}

function sameStored(a: PersonValue | undefined, b: PersonValue): boolean {
  return (a ?? null) === b;
}
