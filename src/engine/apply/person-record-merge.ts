import { fromCrmValue } from '../../domain/crm-attribute.ts';
import type { FieldMapping } from '../../domain/field-catalog.ts';
import { entityCollisionWinner } from '../../domain/field-policy.ts';
import { mergeField, sameValue, type FieldMergeDecision } from '../../domain/merge.ts';
import type { MirrorRow } from '../../store/mirror-store.ts';
import type { Store } from '../../store/store.ts';
import type { ApplyScope, RecordContext } from './record-context.ts';
import { cachedSystemFieldsOf, companyFieldsOf, systemFieldsOf } from './system-fields.ts';
import { isLookupValue, type CrmRecord } from '../../domain/crm-record.ts';
import type { PersonValue } from '../../domain/person.ts';

/**
 * The three-way merge of one linked record (B4.1–B4.4) plus its system and company fields. Values the
 * marketing side wins are marked for pushing; returns their attributes.
 */
export async function mergeRecord(rc: RecordContext): Promise<string[]> {
  const { tx, context, record, person, writes } = rc;
  const entity = rc.link.entity;
  // A flow's first link logs nothing per field: see FirstLinkRule.
  const quiet = rc.firstLink === 'person-first';
  const updates: Record<string, PersonValue> = {};
  const newBases: Record<string, PersonValue> = {};
  const push: string[] = [];
  for (const mapping of rc.plan.mappings) {
    const field = mapping.personField;
    if (field === undefined) continue;
    const attribute = mapping.attribute.logicalName;
    const crm = fromCrmValue(mapping.attribute, record.values[attribute]);
    const decision = decide(rc, mapping, field, crm);
    if (decision.toMarketing) updates[field] = decision.toMarketing.value;
    // A value still to be pushed never becomes the base before the CRM has it: the push sets it then (B2.4,
    // B4.5). Until then the base is the CRM's current value, which this merge has seen and decided on, so the
    // push is "a field that differs from its base" and survives a later whole-record mark (which absorbs field
    // lists) or a transient failure. On a first link (no base yet) without it the marketing value was silently
    // dropped (B3.2); after a collision the marketing side won, an old base made every re-merge before the push
    // landed (a 412 re-read, the next pass) find the same collision again and log its loser twice (B4.3).
    if (decision.toCrm) {
      push.push(attribute);
      newBases[attribute] = crm;
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
    if (!quiet && !sameStored(person.fields[field], value)) {
      await writes.activity(person.id, 'data-value-changed', {
        field,
        oldValue: person.fields[field] ?? null,
        newValue: value,
        source: 'crm',
      });
    }
  }
  const system =
    cachedSystemFieldsOf(context, rc.plan, record) ?? (await systemFieldsOf(tx, context, rc.plan, record));
  if (
    rc.owner !== undefined &&
    system.crmOwnerName === null &&
    typeof system.crmOwnerId === 'string' &&
    system.crmOwnerId.toLowerCase() === rc.owner.id
  ) {
    system.crmOwnerName = rc.owner.name;
    system.crmOwnerEmail = rc.owner.email;
  }
  if (
    !quiet &&
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
  const company = cachedCompanyFields(rc, record) ?? (await companyFields(tx, rc, record));
  const changes = { ...updates, ...system, ...company };
  await writes.updatePerson(person.id, changes);
  await writes.link({ ...rc.link, etag: record.etag ?? rc.link.etag });
  await writes.bases(entity, record.id, newBases);
  if (push.length > 0) await tx.markPendingPush(entity, record.id, person.id, push);
  const changed = Object.keys(updates).length > 0;
  context.count(`${entity}.fromCrm.${changed ? 'updated' : 'unchanged'}`);
  if (changed) context.carriedFromCrm(record);
  return push;
}

/** The state and status attributes: their labels differ between lead and contact (B3.4). */
const leadStateAttributes: ReadonlySet<string> = new Set(['statecode', 'statuscode']);

/** One field's decision: the three-way merge, or a flow's first link (FirstLinkRule `person-first`). */
function decide(
  rc: RecordContext,
  mapping: FieldMapping,
  field: string,
  crm: PersonValue,
): FieldMergeDecision {
  const attribute = mapping.attribute.logicalName;
  const marketing = rc.person.fields[field] ?? null;
  const base = rc.bases.has(attribute) ? rc.bases.get(attribute)! : undefined;
  if (base === undefined && rc.qualified === true && leadStateAttributes.has(attribute)) {
    // B3.4: the lead's "Open"/"New" (or "Qualified") are no values of the contact; its own are the base.
    return sameValue(marketing, crm)
      ? { newBase: { value: crm } }
      : { toMarketing: { value: crm }, newBase: { value: crm } };
  }
  if (base === undefined && rc.firstLink === 'person-first') {
    // B7.1: the record was made from the person's values; the base is what the CRM stored.
    if (sameValue(marketing, crm)) return { newBase: { value: crm } };
    if (isBlank(marketing) || mapping.policy === 'crm-to-marketing') {
      return isBlank(crm)
        ? { newBase: { value: crm } }
        : { toMarketing: { value: crm }, newBase: { value: crm } };
    }
    return { toCrm: { value: marketing } };
  }
  return mergeField({
    field,
    base,
    marketing,
    crm,
    policy: mapping.policy,
    entityWinner: entityCollisionWinner(rc.link.entity),
  });
}

/** A contact's company fields from its account's mirror row (B1.4); none for leads or contacts without one. */
export async function companyFields(
  tx: Store,
  scope: ApplyScope,
  record: CrmRecord,
): Promise<Record<string, PersonValue>> {
  const accountId = accountIdOf(scope, record);
  if (accountId === undefined) return {};
  return companyFieldsWith(scope, await scope.context.mirrorRow(tx, 'account', accountId));
}

/** `companyFields` without a read: undefined when the account's mirror row is not in the pass's cache. */
export function cachedCompanyFields(
  scope: ApplyScope,
  record: CrmRecord,
): Record<string, PersonValue> | undefined {
  const accountId = accountIdOf(scope, record);
  if (accountId === undefined) return {};
  const account = scope.context.cachedMirrorRow('account', accountId);
  return account === undefined ? undefined : companyFieldsWith(scope, account ?? undefined);
}

function accountIdOf(scope: ApplyScope, record: CrmRecord): string | undefined {
  if (scope.plan.entity.name !== 'contact') return undefined;
  const parent = record.values.parentcustomerid;
  return isLookupValue(parent) && parent.entity !== 'contact' ? parent.id : undefined;
}

function companyFieldsWith(scope: ApplyScope, account: MirrorRow | undefined): Record<string, PersonValue> {
  if (account === undefined || account.deleted) return {};
  return companyFieldsOf(scope.accountPlan, account.attributes);
}

function sameStored(a: PersonValue | undefined, b: PersonValue): boolean {
  return (a ?? null) === b;
}

function isBlank(value: PersonValue): boolean {
  return value === null || value === '';
}
