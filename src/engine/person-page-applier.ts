import { isLookupValue, type ChangePage, type CrmRecord } from '../connectors/connector.ts';
import { fromCrmValue } from '../domain/crm-attribute.ts';
import { entityCollisionWinner } from '../domain/field-policy.ts';
import { mergeField } from '../domain/merge.ts';
import { passesSyncFilter, type PersonEntity } from '../domain/sync-entities.ts';
import type { Person, PersonValue, Store } from '../store/store.ts';
import type { CrmLink } from '../store/sync-state-store.ts';
import type { EntityPlan } from './entity-plan.ts';
import type { PassContext } from './pass-context.ts';
import { companyFieldsOf, systemFieldsOf } from './system-fields.ts';

export interface PersonPageInput {
  readonly plan: EntityPlan;
  /** The account plan, for contacts' company fields (B1.4). */
  readonly accountPlan: EntityPlan | undefined;
  readonly page: ChangePage;
  readonly context: PassContext;
}

/**
 * Applies one page of lead or contact changes to the marketing database inside the caller's transaction:
 * links (B3.1–B3.2), qualify (B3.4), merge (B3.5), deletes (B3.6), the sync filter (B3.7) and the field-level
 * merge (B4). Values the marketing side wins are marked for pushing; nothing here talks to the CRM, so the
 * page, its bases, its pending pushes and the cursor commit together (B2.4).
 */
export async function applyPersonPage(tx: Store, input: PersonPageInput): Promise<void> {
  const entity = input.plan.entity.name as PersonEntity;
  const ids = input.page.upserts.map((record) => record.id);
  const links = await tx.getLinks(entity, ids);
  const bases = await tx.getBasesOf(entity, ids);
  // Merged subordinates last, so their master is linked first when both are in the page (B3.5).
  const ordered = [...input.page.upserts].sort(
    (a, b) => Number(a.values.merged === true) - Number(b.values.merged === true),
  );
  for (const record of ordered) {
    const link = links.get(record.id) ?? (await tx.getLink(entity, record.id));
    await applyRecord(tx, input, entity, record, link, bases.get(record.id) ?? new Map());
  }
  for (const id of input.page.deletes) await applyDelete(tx, input, entity, id);
}

async function applyRecord(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  record: CrmRecord,
  link: CrmLink | undefined,
  bases: Map<string, PersonValue>,
): Promise<void> {
  const { context } = input;
  if (record.values.merged === true && isLookupValue(record.values.masterid)) {
    await applyMerge(tx, input, entity, record, link, record.values.masterid.id);
    return;
  }
  if (link?.state === 'superseded' || link?.state === 'deleted') return;
  if (!passesSyncFilter(record.values)) {
    // B3.7: an unlinked record is not created; a linked one stops receiving updates (stale, not deleted).
    if (link?.state === 'active') await tx.upsertLink({ ...link, state: 'excluded' });
    context.count(`${entity}.fromCrm.filtered`);
    return;
  }
  if (link === undefined && entity === 'contact') {
    const relinked = await relinkQualifiedLead(tx, input, record);
    if (relinked) return;
  }
  if (link === undefined) {
    await linkOrCreate(tx, input, entity, record);
    return;
  }
  const person = await tx.getPerson(link.personId);
  if (person === undefined) return;
  // An excluded record whose filter turned true again syncs like any linked record (B3.7 false → true).
  await mergeRecord(tx, input, entity, record, { ...link, state: 'active' }, person, bases);
}

/** B3.2: exactly one marketing-only person with the same email is linked; otherwise a new person. */
async function linkOrCreate(tx: Store, input: PersonPageInput, entity: PersonEntity, record: CrmRecord) {
  const email = record.values.emailaddress1;
  if (typeof email === 'string' && email.trim() !== '') {
    const candidates = await tx.listPersons({ email, crmType: 'none', limit: 2 });
    const marketingOnly = candidates.items.filter((person) => person.fields.crmIsDeleted !== true);
    if (marketingOnly.length === 1) {
      const person = marketingOnly[0];
      await mergeRecord(
        tx,
        input,
        entity,
        record,
        { entity, crmId: record.id, personId: person.id, state: 'active', etag: null, version: null },
        person,
        new Map(),
      );
      input.context.count(`${entity}.fromCrm.linked`);
      return;
    }
  }
  const fields: Record<string, PersonValue> = await systemFieldsOf(tx, input.context, input.plan, record);
  const bases: Record<string, PersonValue> = {};
  for (const mapping of input.plan.mappings) {
    if (mapping.personField === undefined) continue;
    const value = fromCrmValue(mapping.attribute, record.values[mapping.attribute.logicalName]);
    fields[mapping.personField] = value;
    bases[mapping.attribute.logicalName] = value;
  }
  Object.assign(fields, await companyFields(tx, input, record));
  const person = await tx.createPerson(fields, 'sync');
  await tx.upsertLink({
    entity,
    crmId: record.id,
    personId: person.id,
    state: 'active',
    etag: record.etag ?? null,
    version: null,
  });
  await tx.setBases(entity, record.id, bases);
  await tx.appendActivity(person.id, 'crm.created-person', { entity, crmId: record.id });
  input.context.count(`${entity}.fromCrm.created`);
}

/** The three-way merge of one linked record (B4.1–B4.4) plus its system and company fields. */
async function mergeRecord(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  record: CrmRecord,
  link: Omit<CrmLink, 'linkedAt' | 'updatedAt'>,
  person: Person,
  bases: Map<string, PersonValue>,
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
      await tx.appendActivity(person.id, 'crm.conflict', {
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
      await tx.appendActivity(person.id, 'data-value-changed', {
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
    await tx.appendActivity(person.id, 'crm.owner-changed', {
      from: person.fields.crmOwnerId,
      to: system.crmOwnerId,
    });
  }
  // A person stays linked to one record (B1.1): a lead's person keeps its lead id when it later becomes a contact.
  const changes = { ...updates, ...system, ...(await companyFields(tx, input, record)) };
  await tx.updatePerson(person.id, changes, 'sync');
  await tx.upsertLink({ ...link, etag: record.etag ?? link.etag });
  if (Object.keys(newBases).length > 0) await tx.setBases(entity, record.id, newBases);
  if (push.length > 0) await tx.markPendingPush(entity, record.id, person.id, push);
  const changed = Object.keys(updates).length > 0;
  context.count(`${entity}.fromCrm.${changed ? 'updated' : 'unchanged'}`);
}

async function companyFields(tx: Store, input: PersonPageInput, record: CrmRecord) {
  if (input.plan.entity.name !== 'contact') return {};
  const parent = record.values.parentcustomerid;
  if (!isLookupValue(parent) || parent.entity === 'contact') return {};
  const account = await input.context.mirrorRow(tx, 'account', parent.id);
  if (account === undefined || account.deleted) return {};
  return companyFieldsOf(input.accountPlan, account.attributes);
}

/**
 * B3.4: a contact qualified from a linked lead re-links the lead's person (same id, `crmType` contact). A
 * person the contact produced earlier is merged into the lead's person.
 */
async function relinkQualifiedLead(tx: Store, input: PersonPageInput, record: CrmRecord): Promise<boolean> {
  const origin = record.values.originatingleadid;
  if (!isLookupValue(origin)) return false;
  const leadLink = await tx.getLink('lead', origin.id);
  if (leadLink === undefined || leadLink.state === 'deleted') return false;
  const person = await tx.getPerson(leadLink.personId);
  if (person === undefined) return false;
  await tx.upsertLink({ ...leadLink, state: 'superseded' });
  await tx.updatePerson(person.id, { crmType: 'contact', crmContactId: record.id }, 'sync');
  await tx.appendActivity(person.id, 'crm.converted', { leadId: origin.id, contactId: record.id });
  input.context.count('lead.fromCrm.converted');
  const relinked = await tx.getPerson(person.id);
  await mergeRecord(
    tx,
    input,
    'contact',
    record,
    { entity: 'contact', crmId: record.id, personId: person.id, state: 'active', etag: null, version: null },
    relinked!,
    new Map(),
  );
  return true;
}

/**
 * B3.5: the subordinate's person is merged into the master's person — master values win, the loser fills
 * blanks, activities and links move, and the loser id resolves to the survivor from then on.
 */
async function applyMerge(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  record: CrmRecord,
  link: CrmLink | undefined,
  masterId: string,
): Promise<void> {
  if (link === undefined || link.state === 'superseded') return;
  const masterLink = await tx.getLink(entity, masterId);
  const loser = await tx.getPerson(link.personId);
  if (loser === undefined) return;
  if (masterLink === undefined) {
    // The master never synced: the subordinate's person becomes the master's person.
    await tx.upsertLink({
      entity,
      crmId: masterId,
      personId: loser.id,
      state: 'active',
      etag: null,
      version: null,
    });
    await tx.upsertLink({ ...link, state: 'superseded' });
    await tx.updatePerson(loser.id, { [entity === 'lead' ? 'crmLeadId' : 'crmContactId']: masterId }, 'sync');
    await tx.appendActivity(loser.id, 'crm.merged', { entity, subordinateId: record.id, masterId });
    input.context.count(`${entity}.fromCrm.merged`);
    return;
  }
  if (masterLink.personId === loser.id) {
    await tx.upsertLink({ ...link, state: 'superseded' });
    return;
  }
  const survivor = await tx.getPerson(masterLink.personId);
  if (survivor === undefined) return;
  const blanks: Record<string, PersonValue> = {};
  for (const [field, value] of Object.entries(loser.fields)) {
    if (field.startsWith('crm')) continue;
    const current = survivor.fields[field];
    if ((current === null || current === undefined || current === '') && value !== null && value !== '') {
      blanks[field] = value;
    }
  }
  if (Object.keys(blanks).length > 0) {
    await tx.updatePerson(survivor.id, blanks, 'sync');
    // Blanks the loser filled are marketing-side changes of the master's record: push them (B3.5).
    await tx.markPendingPush(entity, masterId, survivor.id, null);
  }
  await tx.mergePersonInto(loser.id, survivor.id, 'sync');
  await tx.upsertLink({ ...link, personId: survivor.id, state: 'superseded' });
  await tx.appendActivity(survivor.id, 'crm.merged', {
    entity,
    subordinateId: record.id,
    masterId,
    mergedPersonId: loser.id,
  });
  input.context.count(`${entity}.fromCrm.merged`);
}

/** B3.6: a CRM delete never deletes the person; it is flagged and no longer synced. */
async function applyDelete(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  id: string,
): Promise<void> {
  const link = await tx.getLink(entity, id);
  if (link === undefined || link.state === 'deleted' || link.state === 'superseded') return;
  await tx.upsertLink({ ...link, state: 'deleted' });
  const person = await tx.getPerson(link.personId);
  if (person === undefined) return;
  await tx.updatePerson(person.id, { crmIsDeleted: true }, 'sync');
  await tx.appendActivity(person.id, 'crm.deleted', { entity, crmId: id });
  input.context.count(`${entity}.fromCrm.deleted`);
}

function sameStored(a: PersonValue | undefined, b: PersonValue): boolean {
  return (a ?? null) === b;
}
