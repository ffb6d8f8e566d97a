import { passesSyncFilter, type PersonEntity } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import type { PersonPageInput } from './person-page-input.ts';
import {
  applyDelete,
  applyRecord,
  cachedNewPersonOf,
  newPersonOf,
  type NewPersonDraft,
} from './person-record-applier.ts';
import { mergeRecord } from './person-record-merge.ts';
import { PageWrites } from './person-writes.ts';
import { scopeOf } from './record-context.ts';
import { isLookupValue, isOlderVersion, type CrmRecord } from '../../domain/crm-record.ts';
import type { Person } from '../../domain/person.ts';
import type { CrmLink } from '../../store/link-store.ts';

export type { PersonPageInput } from './person-page-input.ts';

/**
 * Applies a batch of lead or contact records (a change page, or records read by id) to the marketing database
 * inside the caller's transaction: links (B3.1–B3.2), qualify (B3.4), merge (B3.5), deletes (B3.6), the sync
 * filter (B3.7) and the field-level merge (B4). Values the marketing side wins are marked for pushing; nothing
 * here talks to the CRM or moves a cursor, so a page, its bases, its pending pushes and the cursor the puller
 * writes beside them commit together (B2.4).
 *
 * Page at a time (issue 7): what every record needs is read in one query per kind (links, bases, persons,
 * accounts, email matches), new persons are created with multi-row inserts and merges write through
 * `PageWrites`. Only the records whose handling depends on what an earlier record wrote go one at a time,
 * after the others and in page order.
 */
export async function applyPersonPage(tx: Store, input: PersonPageInput): Promise<void> {
  const entity = input.plan.entity.name as PersonEntity;
  const read = input.batch.upserts;
  const ids = read.map((record) => record.id);
  // B3.2, B7.2: a flow linking one of these records (or a contact's originating lead, adopted below) waits for
  // this page, or this page for it, so the record never ends linked to two persons.
  await tx.lockLinksOf([...ids, ...originatingLeadIds(read)]);
  // B4.7: the merge decides from persons this transaction holds. They are read locked (one statement per 500,
  // in id order) before their bases, so a marketing edit committed before this read is merged as a marketing
  // change, and one made after it waits for the page's commit and is pushed afterwards; it is never
  // overwritten by a decision taken from the value it replaced.
  const persons = await lockedPersonsOf(tx, input, read, await tx.getLinks(entity, ids));
  // The links are read again under those locks: a flow that committed meanwhile (B7.1 `syncAs: contact`
  // superseding the lead it had linked, B3.4) is seen, so the page never revives a superseded link.
  const links = await tx.getLinks(entity, ids);
  const records = currentRecords(input, entity, read, links);
  const bases = await tx.getBasesOf(
    entity,
    records.map((record) => record.id),
  );
  await prefetchMirrorRows(tx, input, records);
  const sorted = await sortRecords(tx, input, entity, records, links, persons);

  const writes = new PageWrites();
  const scope = scopeOf(input);
  for (const { record, link, person } of sorted.merges) {
    const recordBases = bases.get(record.id) ?? new Map();
    const active = { ...link, state: 'active' as const };
    await mergeRecord({ ...scope, tx, record, link: active, person, bases: recordBases, writes });
  }
  await createPersons(tx, input, entity, sorted.creates, sorted.adoptions);
  await writes.flush(tx);

  // Merged subordinates last, so their master is linked first when both are in the page (B3.5).
  const oneByOne = [...sorted.oneByOne].sort(
    (a, b) => Number(a.values.merged === true) - Number(b.values.merged === true),
  );
  for (const record of oneByOne) {
    const link = await tx.getLink(entity, record.id);
    await applyRecord(tx, input, entity, record, link, bases.get(record.id) ?? new Map());
  }
  for (const id of input.batch.deletes) await applyDelete(tx, input, entity, id);
}

/**
 * B2.8, B4.4: drops records read before a version this database already holds for them. A pass's page may be
 * read before a webhook's re-read (or a push) of the same record is applied and be applied after it; applying
 * the older values then would flip the fields back (and log a second `data-value-changed`) until the next
 * pass brought the newer version again. The link's ETag is the version last applied or written (Dataverse's
 * ETag is the row's `versionnumber`); records without comparable versions are applied as before.
 */
function currentRecords(
  input: PersonPageInput,
  entity: PersonEntity,
  records: readonly CrmRecord[],
  links: Map<string, CrmLink>,
): readonly CrmRecord[] {
  const current = records.filter((record) => !isOlderVersion(record.etag, links.get(record.id)?.etag));
  if (current.length < records.length)
    input.context.count(`${entity}.fromCrm.stale`, records.length - current.length);
  return current;
}

interface SortedRecords {
  /** Linked records (active, or excluded whose filter turned true again, B3.7) with their persons. */
  readonly merges: { record: CrmRecord; link: CrmLink; person: Person }[];
  /** Unlinked records that become new persons: no qualified lead to re-link, no single email match. */
  readonly creates: CrmRecord[];
  /**
   * Contacts among `creates` whose originating lead has no person (B3.4: created and qualified between two
   * passes, or before the first): contact id → lead id. The contact's new person is the lead's person too.
   */
  readonly adoptions: Map<string, string>;
  readonly oneByOne: CrmRecord[];
}

/** Splits a page into what can be applied in bulk and what must go one record at a time. */
async function sortRecords(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  records: readonly CrmRecord[],
  links: Map<string, CrmLink>,
  persons: Map<string, Person>,
): Promise<SortedRecords> {
  const { context } = input;
  const leadLinks = await originatingLeadLinks(tx, entity, records);
  const emailMatches = await marketingOnlyMatches(tx, records, links);
  const sorted: SortedRecords = { merges: [], creates: [], adoptions: new Map(), oneByOne: [] };
  const adoptedLeads = new Set<string>();
  const seenIds = new Set<string>();
  const seenPersons = new Set<string>();
  for (const record of records) {
    const link = links.get(record.id);
    const first = !seenIds.has(record.id);
    seenIds.add(record.id);
    if (!first || (record.values.merged === true && isLookupValue(record.values.masterid))) {
      sorted.oneByOne.push(record);
    } else if (!passesSyncFilter(record.values)) {
      // B3.7: an unlinked record is not created; a linked one is marked excluded, one at a time (rare).
      if (link === undefined) context.count(`${entity}.fromCrm.filtered`);
      else sorted.oneByOne.push(record);
    } else if (link === undefined) {
      const origin = record.values.originatingleadid;
      const leadLink = isLookupValue(origin) ? leadLinks.get(origin.id) : undefined;
      const relinks = leadLink !== undefined && leadLink.state !== 'deleted';
      const email = record.values.emailaddress1;
      const matches = typeof email === 'string' ? (emailMatches.get(email) ?? 0) : 0;
      if (relinks || matches === 1) sorted.oneByOne.push(record);
      else if (isLookupValue(origin) && leadLink === undefined && !adoptedLeads.has(origin.id)) {
        adoptedLeads.add(origin.id);
        sorted.adoptions.set(record.id, origin.id);
        sorted.creates.push(record);
      } else sorted.creates.push(record);
    } else if (link.state === 'active' || link.state === 'excluded') {
      const person = persons.get(link.personId);
      if (person === undefined) {
        // The link moved to a person the page did not lock: one at a time (it reads and locks it itself).
        sorted.oneByOne.push(record);
        continue;
      }
      if (seenPersons.has(person.id) || hasOtherLeadPerson(record, link, leadLinks)) {
        // A person's second record of the page, or a contact whose lead has another person (merged into it
        // first, B3.4): one at a time.
        sorted.oneByOne.push(record);
        continue;
      }
      seenPersons.add(person.id);
      sorted.merges.push({ record, link, person });
    }
    // Superseded and deleted links receive nothing (B3.4–B3.6).
  }
  return sorted;
}

/**
 * New persons for a page's unlinked records, with their links, bases and activities (B3.2). A contact in
 * `adoptions` also takes its originating lead (B3.4): the lead is linked to the same person as superseded, so
 * its own page, applied after the contacts' (B2.2), finds it and creates no second person.
 */
async function createPersons(
  tx: Store,
  input: PersonPageInput,
  entity: PersonEntity,
  records: readonly CrmRecord[],
  adoptions: ReadonlyMap<string, string>,
): Promise<void> {
  if (records.length === 0) return;
  const drafts: NewPersonDraft[] = [];
  for (const record of records) {
    // The page prefetched its owners and accounts: a promise per record only for one that was not cached.
    const draft = cachedNewPersonOf(input, record) ?? (await newPersonOf(tx, input, record));
    const leadId = adoptions.get(record.id);
    if (leadId !== undefined) draft.fields.crmLeadId = leadId;
    drafts.push(draft);
  }
  const personIds = await tx.createPersonIds(
    drafts.map((draft) => draft.fields),
    'sync',
  );
  await tx.upsertLinks(
    records.map((record, index) => ({
      entity,
      crmId: record.id,
      personId: personIds[index],
      state: 'active' as const,
      etag: record.etag ?? null,
      version: null,
    })),
  );
  await tx.setBasesOf(
    entity,
    records.map((record, index) => ({ crmId: record.id, values: drafts[index].bases })),
  );
  const adopted = records.flatMap((record, index) => {
    const leadId = adoptions.get(record.id);
    return leadId === undefined ? [] : [{ leadId, contactId: record.id, personId: personIds[index] }];
  });
  await tx.upsertLinks(
    adopted.map(({ leadId, personId }) => ({
      entity: 'lead' as const,
      crmId: leadId,
      personId,
      state: 'superseded' as const,
      etag: null,
      version: null,
    })),
  );
  await tx.appendActivities([
    ...records.map((record, index) => ({
      personId: personIds[index],
      type: 'crm.created-person',
      attributes: { entity, crmId: record.id },
    })),
    ...adopted.map(({ leadId, contactId, personId }) => ({
      personId,
      type: 'crm.converted',
      attributes: { leadId, contactId },
    })),
  ]);
  input.context.count(`${entity}.fromCrm.created`, records.length);
  for (const record of records) input.context.carriedFromCrm(record);
  if (adopted.length > 0) input.context.count('lead.fromCrm.converted', adopted.length);
}

/**
 * The persons of the page's linked records that the merge may write (active and excluded links), read with
 * their locks (`getPersonsForUpdate`: the store's lock order, emails then persons by id). The emails are the
 * ones the merge may copy to them: the records' values of the attribute the person's email comes from.
 */
async function lockedPersonsOf(
  tx: Store,
  input: PersonPageInput,
  records: readonly CrmRecord[],
  links: Map<string, CrmLink>,
): Promise<Map<string, Person>> {
  const emailAttribute = input.plan.mappings.find((mapping) => mapping.personField === 'email')?.attribute;
  const ids: string[] = [];
  const emails: string[] = [];
  for (const record of records) {
    const link = links.get(record.id);
    if (link === undefined || (link.state !== 'active' && link.state !== 'excluded')) continue;
    ids.push(link.personId);
    const email = emailAttribute && record.values[emailAttribute.logicalName];
    if (typeof email === 'string') emails.push(email);
  }
  const persons = new Map<string, Person>();
  if (ids.length === 0) return persons;
  for (const person of await tx.getPersonsForUpdate(ids, { emails })) persons.set(person.id, person);
  return persons;
}

/**
 * The links of the leads the page's contacts were qualified from (B3.4). For an unlinked contact, a live one
 * re-links its person (one at a time); none at all means the lead never had a person, so the contact's new
 * person becomes the lead's. For a linked contact, a live one on another person means the contact produced a
 * person of its own: it is merged into the lead's (one at a time, `hasOtherLeadPerson`).
 */
async function originatingLeadLinks(
  tx: Store,
  entity: PersonEntity,
  records: readonly CrmRecord[],
): Promise<Map<string, CrmLink>> {
  if (entity !== 'contact') return new Map();
  const origins = originatingLeadIds(records);
  return origins.length === 0 ? new Map() : tx.getLinks('lead', origins);
}

function originatingLeadIds(records: readonly CrmRecord[]): string[] {
  return records.flatMap((record) => {
    const origin = record.values.originatingleadid;
    return isLookupValue(origin) ? [origin.id] : [];
  });
}

/** A linked contact whose originating lead is linked, live, to another person (B3.4: the two are merged). */
function hasOtherLeadPerson(record: CrmRecord, link: CrmLink, leadLinks: Map<string, CrmLink>): boolean {
  const origin = record.values.originatingleadid;
  const leadLink = isLookupValue(origin) ? leadLinks.get(origin.id) : undefined;
  return (
    leadLink !== undefined &&
    (leadLink.state === 'active' || leadLink.state === 'excluded') &&
    leadLink.personId !== link.personId
  );
}

/** How many marketing-only persons share each unlinked record's email (B3.2: exactly one is linked). */
async function marketingOnlyMatches(
  tx: Store,
  records: readonly CrmRecord[],
  links: Map<string, CrmLink>,
): Promise<Map<string, number>> {
  const emails = records.flatMap((record) => {
    const email = record.values.emailaddress1;
    return !links.has(record.id) && typeof email === 'string' && email.trim() !== '' ? [email] : [];
  });
  const matches = new Map<string, number>();
  if (emails.length === 0) return matches;
  for (const [email, persons] of await tx.findPersonsByEmails(emails, { crmType: 'none' })) {
    matches.set(email, persons.filter((person) => person.fields.crmIsDeleted !== true).length);
  }
  return matches;
}

/** Owners and accounts of the page in one query per entity (B1.4, B1.5), before the records read them. */
async function prefetchMirrorRows(tx: Store, input: PersonPageInput, records: readonly CrmRecord[]) {
  const byEntity = new Map<string, string[]>();
  for (const record of records) {
    for (const attribute of ['ownerid', 'parentcustomerid']) {
      const value = record.values[attribute];
      if (!isLookupValue(value) || value.entity === 'contact') continue;
      const entity = attribute === 'ownerid' ? (value.entity === 'team' ? 'team' : 'systemuser') : 'account';
      let ids = byEntity.get(entity);
      if (ids === undefined) byEntity.set(entity, (ids = []));
      ids.push(value.id);
    }
  }
  for (const [entity, ids] of byEntity) await input.context.prefetchMirrorRows(tx, entity, ids);
}
