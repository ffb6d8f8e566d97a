import { fromCrmValue } from '../../domain/crm-attribute.ts';
import { passesSyncFilter, type PersonEntity } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import type { PersonPageInput } from './person-page-input.ts';
import { linkFirst } from './person-linker.ts';
import { cachedCompanyFields, companyFields, mergeRecord } from './person-record-merge.ts';
import { immediateWrites } from './person-writes.ts';
import { scopeOf } from './record-context.ts';
import { cachedSystemFieldsOf, systemFieldsOf } from './system-fields.ts';
import { isLookupValue, type CrmRecord } from '../../domain/crm-record.ts';
import { ObjectBuilder } from '../../domain/object-builder.ts';
import type { PersonValue } from '../../domain/person.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { CrmLink } from '../../store/link-store.ts';

/**
 * One CRM lead or contact at a time, for the records whose handling reads what an earlier record of the
 * page wrote: merges (B3.5), qualified leads (B3.4), email matches (B3.2), filter changes (B3.7), deletes
 * (B3.6). Ordinary creates and merges go page-at-a-time through person-page-applier.ts.
 */
export async function applyRecord(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  record: CrmRecord,
  recordLink: CrmLink | undefined,
  bases: Map<string, PersonValue>,
): Promise<void> {
  const { context } = input;
  let link = recordLink;
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
  if (entity === 'contact') link = await mergeIntoLeadPerson(tx, input, record, link);
  // Read locked, as the page's persons are: the merge decides from what the transaction holds (B4.7).
  const [person] = await tx.getPersonsForUpdate([link.personId]);
  if (person === undefined) return;
  // The link as it stands under the person's lock: a flow may have superseded it meanwhile (B3.4, B7.1).
  const locked = await tx.getLink(entity, record.id);
  if (locked === undefined || locked.personId !== person.id) return;
  if (locked.state !== 'active' && locked.state !== 'excluded') return;
  // An excluded record whose filter turned true again syncs like any linked record (B3.7 false → true).
  await mergeRecord({
    ...scopeOf(input),
    tx,
    record,
    link: { ...link, state: 'active' },
    person,
    bases,
    writes: immediateWrites(tx),
  });
}

/**
 * B3.2: exactly one marketing-only person with the same email is linked; otherwise a new person. A contact whose
 * originating lead never had a person makes it the lead's person too (B3.4, `adoptOriginatingLead`).
 */
async function linkOrCreate(tx: Store, input: PersonPageInput, entity: PersonEntity, record: CrmRecord) {
  const email = record.values.emailaddress1;
  if (typeof email === 'string' && email.trim() !== '') {
    const candidates = await tx.listPersons({ email, crmType: 'none', limit: 2 });
    const marketingOnly = candidates.items.filter((person) => person.fields.crmIsDeleted !== true);
    // The first-link merge decides from the person's values: read them locked (B4.7).
    const [person] = marketingOnly.length === 1 ? await tx.getPersonsForUpdate([marketingOnly[0].id]) : [];
    if (person !== undefined) {
      await linkFirst({ ...scopeOf(input), tx, record, person, rule: 'merge' });
      input.context.count(`${entity}.fromCrm.linked`);
      if (entity === 'contact') await adoptOriginatingLead(tx, input, record, person.id);
      return;
    }
  }
  const { fields, bases } = await newPersonOf(tx, input, record);
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
  input.context.carriedFromCrm(record);
  if (entity === 'contact') await adoptOriginatingLead(tx, input, record, person.id);
}

/**
 * B3.4 when the contact comes first: its originating lead never had a person (created and qualified between two
 * passes, or before the first pass — contacts are applied before leads, B2.2), so the contact's person is the
 * lead's person too. The lead is linked to it as superseded, in the same transaction, so the lead's page finds
 * the link and creates no second person; the person keeps the lead's id and gets `crm.converted`. A lead that
 * already has a link is left to the re-link (`relinkQualifiedLead`).
 */
async function adoptOriginatingLead(
  tx: Store,
  input: PersonPageInput,
  record: CrmRecord,
  personId: string,
): Promise<void> {
  const origin = record.values.originatingleadid;
  if (!isLookupValue(origin) || (await tx.getLink('lead', origin.id)) !== undefined) return;
  await tx.upsertLink({
    entity: 'lead',
    crmId: origin.id,
    personId,
    state: 'superseded',
    etag: null,
    version: null,
  });
  await tx.updatePerson(personId, { crmLeadId: origin.id }, 'sync');
  await tx.appendActivity(personId, 'crm.converted', { leadId: origin.id, contactId: record.id });
  input.context.count('lead.fromCrm.converted');
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
  await linkFirst({ ...scopeOf(input), tx, record, person: relinked!, rule: 'merge', qualified: true });
  return true;
}

/**
 * B3.4 when the contact already produced a person of its own and its originating lead has another (the
 * contact's page was applied before the lead got a person — by a version without `adoptOriginatingLead`, or a
 * concurrent apply): the contact's person is merged into the lead's. The person keeps the lead person's id and
 * becomes the contact's (`crmType` contact, `crm.converted`); the contact's person holds the contact's values,
 * which agree with its bases, so they win and the lead's person only fills blanks (pushed as marketing changes
 * by the merge that follows). Returns the contact's link, now on the lead's person; unchanged when there is
 * nothing to merge, so applying the page again changes nothing.
 */
async function mergeIntoLeadPerson(
  tx: Store,
  input: PersonPageInput,
  record: CrmRecord,
  link: CrmLink,
): Promise<CrmLink> {
  const origin = record.values.originatingleadid;
  if (!isLookupValue(origin)) return link;
  const leadLink = await tx.getLink('lead', origin.id);
  if (leadLink === undefined || leadLink.personId === link.personId) return link;
  if (leadLink.state !== 'active' && leadLink.state !== 'excluded') return link;
  const loser = await tx.getPerson(link.personId);
  const survivor = await tx.getPerson(leadLink.personId);
  if (loser === undefined || survivor === undefined) return link;
  const values: Record<string, PersonValue> = {};
  for (const [field, value] of Object.entries(loser.fields)) {
    if (field.startsWith('crm') || value === null || value === '') continue;
    values[field] = value;
  }
  await tx.updatePerson(survivor.id, { ...values, crmType: 'contact', crmContactId: record.id }, 'sync');
  await tx.mergePersonInto(loser.id, survivor.id, 'sync');
  await tx.upsertLink({ ...leadLink, state: 'superseded' });
  await tx.appendActivity(survivor.id, 'crm.converted', {
    leadId: origin.id,
    contactId: record.id,
    mergedPersonId: loser.id,
  });
  input.context.count('lead.fromCrm.converted');
  return (await tx.getLink('contact', record.id)) ?? { ...link, personId: survivor.id };
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
export async function applyDelete(
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

/** A new person's fields from a CRM record, and the bases they start from (B4.1). */
export interface NewPersonDraft {
  readonly fields: Record<string, PersonValue>;
  readonly bases: Record<string, PersonValue>;
}

export async function newPersonOf(
  tx: Store,
  input: PersonPageInput,
  record: CrmRecord,
): Promise<NewPersonDraft> {
  const system = await systemFieldsOf(tx, input.context, input.plan, record);
  return draftOf(input, record, system, await companyFields(tx, input, record));
}

/**
 * `newPersonOf` from the pass's cached mirror rows, without a promise per record; undefined when an owner or
 * account has to be read (a page prefetches them, so its creates almost never do).
 */
export function cachedNewPersonOf(input: PersonPageInput, record: CrmRecord): NewPersonDraft | undefined {
  const system = cachedSystemFieldsOf(input.context, input.plan, record);
  if (system === undefined) return undefined;
  const company = cachedCompanyFields(input, record);
  return company === undefined ? undefined : draftOf(input, record, system, company);
}

/** Builders of a plan's new persons (fast objects: see ObjectBuilder). */
const draftBuilders = new WeakMap<
  EntityPlan,
  { readonly fields: ObjectBuilder<PersonValue>; readonly bases: ObjectBuilder<PersonValue> }
>();

function draftOf(
  input: PersonPageInput,
  record: CrmRecord,
  system: Readonly<Record<string, PersonValue>>,
  company: Readonly<Record<string, PersonValue>>,
): NewPersonDraft {
  let builders = draftBuilders.get(input.plan);
  if (builders === undefined) {
    builders = { fields: new ObjectBuilder(), bases: new ObjectBuilder() };
    draftBuilders.set(input.plan, builders);
  }
  const { fields, bases } = builders;
  fields.begin();
  bases.begin();
  // System fields first, then the mapped ones, then the company's: a later one wins, as before.
  for (const field in system) fields.set(field, system[field]);
  for (const mapping of input.plan.mappings) {
    if (mapping.personField === undefined) continue;
    const value = fromCrmValue(mapping.attribute, record.values[mapping.attribute.logicalName]);
    fields.set(mapping.personField, value);
    bases.set(mapping.attribute.logicalName, value);
  }
  for (const field in company) fields.set(field, company[field]);
  return { fields: fields.build(), bases: bases.build() };
}
