import type { PersonValue } from '../domain/person.ts';
import type { Page, PageRequest } from './person-store.ts';

/**
 * Person ⇄ CRM record links (B3), the per-record bases of the three-way merge (B4.1) and person merges (B3.4,
 * B3.5): the engine's view of which person is which CRM record and what both sides last agreed on. Designed so
 * that a pass applies a page of changes, its links and bases and its cursor in one `withTransaction` (B2.4).
 * Part of `Store` (store.ts); both backends pass tests/contract/register-link-store-tests.ts.
 */

/** The CRM entities a person links to (B1.1). */
export type LinkedEntity = 'lead' | 'contact';

/**
 * A person ⇄ CRM record link (B3.1: by CRM id, never by email). `state`:
 * - `active`: synced both ways;
 * - `excluded`: the record's sync filter is false (B3.7) — kept, but receives no updates;
 * - `deleted`: the CRM record was deleted (B3.6);
 * - `superseded`: the record was qualified or merged away (B3.4, B3.5); kept so late references resolve.
 */
export type LinkState = 'active' | 'excluded' | 'deleted' | 'superseded';

export interface CrmLink {
  readonly entity: LinkedEntity;
  readonly crmId: string;
  readonly personId: string;
  readonly state: LinkState;
  /** The record's ETag as last read or written (B4.5 `If-Match`). */
  readonly etag: string | null;
  /** The record's `versionnumber`/`modifiedon` as last seen, for watermark fallbacks (B2.3). */
  readonly version: string | null;
  readonly linkedAt: string;
  readonly updatedAt: string;
}

export interface LinkStore {
  // --- links person ⇄ CRM record (B3) -------------------------------------------------------------

  /** Creates or replaces the link of one CRM record. Throws NOT_FOUND when the person does not exist. */
  upsertLink(link: Omit<CrmLink, 'linkedAt' | 'updatedAt'>): Promise<CrmLink>;
  /**
   * `upsertLink` for a page of records in multi-row statements (one CRM record at most once). An unknown
   * person fails the whole call (foreign key) instead of a NOT_FOUND naming it.
   */
  upsertLinks(links: readonly Omit<CrmLink, 'linkedAt' | 'updatedAt'>[]): Promise<void>;
  getLink(entity: LinkedEntity, crmId: string): Promise<CrmLink | undefined>;
  /** Many records at once (a page of CRM changes); unknown ids are absent from the map. */
  getLinks(entity: LinkedEntity, crmIds: readonly string[]): Promise<Map<string, CrmLink>>;
  /** Every link of a person, active first, then newest first. */
  listLinksOfPerson(personId: string): Promise<CrmLink[]>;
  /** Every link of an entity, by CRM id (the reconcile sweep of B2.5). */
  listLinks(entity: LinkedEntity, page: PageRequest): Promise<Page<CrmLink>>;
  /** Removes the link and its bases; false when there was none. */
  deleteLink(entity: LinkedEntity, crmId: string): Promise<boolean>;
  /**
   * Holds, to the end of the caller's transaction, the right to decide these CRM records' links: every writer
   * that reads a record's link to decide whether to create one (a page's new person, B3.2; a flow's first
   * link, B7.1) takes it first, so two of them never both see "unlinked" and link the record to two persons
   * (B3.2, B7.2). It comes first in the store's lock order (before emails, persons and bases). PostgreSQL: an
   * advisory lock per bucket of ids (a bounded number, so a 5,000-record page cannot fill the lock table);
   * SQLite: nothing, as its write transactions already exclude each other.
   */
  lockLinksOf(crmIds: readonly string[]): Promise<void>;

  // --- per-record per-field base values (B4.1) ------------------------------------------------------

  /**
   * The bases of one linked record: field → the value both sides agreed on at the last sync. A field
   * without a base is absent (which differs from a base of null).
   */
  getBases(entity: string, crmId: string): Promise<Map<string, PersonValue>>;
  /** Bases of many records at once: crmId → (field → value). */
  getBasesOf(entity: string, crmIds: readonly string[]): Promise<Map<string, Map<string, PersonValue>>>;
  /**
   * Sets (or with `undefined` removes) the given fields' bases; other fields are untouched — also against a
   * concurrent writer of the same record's bases: the document is read locked and held to the end of the
   * caller's transaction (B4.7; the store's lock order: emails, persons by id, then bases by CRM id), so a
   * transaction that also writes persons locks them first.
   */
  setBases(
    entity: string,
    crmId: string,
    values: Readonly<Record<string, PersonValue | undefined>>,
  ): Promise<void>;
  /** `setBases` for many records of one entity in multi-row statements. */
  setBasesOf(
    entity: string,
    items: readonly { crmId: string; values: Readonly<Record<string, PersonValue | undefined>> }[],
  ): Promise<void>;

  // --- person merges (B3.4, B3.5) ---------------------------------------------------------------------

  /**
   * Folds `loserId` into `survivorId`: activities, links, conflicts, sync errors, contact roles and campaign
   * runs move to the survivor, the loser is deleted (a `delete` change) with its markers (the survivor keeps
   * its own), and `resolvePersonId(loserId)` answers the survivor from then on. Merging the field values is
   * the engine's job (it updates the survivor first). NOT_FOUND if either is missing; VALIDATION_FAILED when
   * both are the same person.
   */
  mergePersonInto(loserId: string, survivorId: string, origin: 'sync' | 'flow' | 'system'): Promise<void>;
  /** The id itself when the person exists, its survivor after merges, or undefined. */
  resolvePersonId(id: string): Promise<string | undefined>;
}
