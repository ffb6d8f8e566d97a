import type { Person } from '../domain/person.ts';
import type { Page, PageRequest } from './person-store.ts';

/**
 * The read-only copies of one-way CRM entities (B1.2): mirror rows, opportunity contact roles (B1.3) and the
 * persons of an account (B1.4). Only the engine writes them (`MirrorStore`); the API reads them through
 * `MirrorReadStore`. Part of `Store` (store.ts); both backends pass
 * tests/contract/register-mirror-store-tests.ts.
 */

export interface MirrorRow {
  readonly entity: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly deleted: boolean;
  readonly updatedAt: string;
}

/** A person linked to an opportunity through its CRM contact (B1.3). */
export interface OpportunityContactRole {
  readonly opportunityId: string;
  readonly contactId: string;
  /** The person linked to the contact, when there is one. */
  readonly personId: string | null;
  readonly role: string | null;
  readonly updatedAt: string;
}

/** What the API may see of the mirror: reads only, so no request can change a CRM copy (B1.2). */
export interface MirrorReadStore {
  getMirrorRow(entity: string, id: string): Promise<MirrorRow | undefined>;
  /** Many mirror rows of one entity (a page's accounts); unknown ids are absent from the map. */
  getMirrorRows(entity: string, ids: readonly string[]): Promise<Map<string, MirrorRow>>;
  /** Ordered by id; tombstones included (they carry `deleted: true`). */
  listMirrorRows(entity: string, page: PageRequest): Promise<Page<MirrorRow>>;
  /** The entities that have at least one mirror row, sorted. */
  listMirrorEntities(): Promise<string[]>;
  listOpportunityContactRoles(query: {
    personId?: string;
    opportunityId?: string;
  }): Promise<OpportunityContactRole[]>;
}

export interface MirrorStore extends MirrorReadStore {
  /**
   * Inserts or replaces CRM mirror rows (B1.2; a CRM delete is a row with `deleted: true`, a tombstone, B3.6).
   * Entity names are Dataverse logical names (lowercase letters, digits, `_`).
   */
  upsertMirrorRows(
    rows: { entity: string; id: string; attributes: Record<string, unknown>; deleted: boolean }[],
  ): Promise<void>;
  /** Replaces the contact roles of one opportunity (B1.3); an empty list removes them. */
  setOpportunityContactRoles(
    opportunityId: string,
    roles: { contactId: string; personId: string | null; role: string | null }[],
  ): Promise<void>;
  /** Persons whose `crmAccountId` is the account (B1.4 fan-out). */
  countPersonsOfAccount(accountId: string): Promise<number>;
  listPersonsOfAccount(accountId: string, page: PageRequest): Promise<Page<Person>>;
}
