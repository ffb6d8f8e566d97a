import type { PersonFieldType } from '../domain/person-fields.ts';

/**
 * The Store port: everything the API and the sync engine need from the marketing database. Two
 * implementations (sqlite/, postgres/) pass one contract suite (tests/contract/register-store-tests.ts).
 * Callers never ask which backend they have; differences are `capabilities`.
 *
 * This file pins the persons-facing contract. The sync-state part (links, bases, cursors, errors, conflicts,
 * passes, notifications, backfills, campaigns) is added here as the engine needs it — see behaviour.md B2–B7.
 */

/** A person field value as stored and as served by the API. Dates are ISO strings. */
export type PersonValue = string | number | boolean | null;

/** Who made a write. The engine skips its own writes when it reads the change feed (B4.4). */
export type WriteOrigin = 'api' | 'sync' | 'flow' | 'system';

export interface Person {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Every person field (standard, CRM-derived custom, marketing-only) and the system fields. */
  readonly fields: Readonly<Record<string, PersonValue>>;
}

export interface PersonField {
  readonly name: string;
  readonly type: PersonFieldType;
  readonly source: 'standard' | 'crm' | 'marketing';
  readonly crm: { readonly lead?: string; readonly contact?: string; readonly account?: string };
  readonly readOnly: boolean;
}

export interface Activity {
  readonly id: string;
  readonly personId: string;
  readonly type: string;
  readonly at: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface MirrorRow {
  readonly entity: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly deleted: boolean;
  readonly updatedAt: string;
}

/** A page of results; `nextCursor` is opaque to callers and null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface PersonQuery {
  readonly email?: string;
  readonly crmType?: 'lead' | 'contact' | 'none';
  readonly updatedSince?: string;
  readonly limit: number;
  readonly cursor?: string;
}

/** One committed change of a person, as read from the change feed. */
export interface PersonChange {
  readonly personId: string;
  readonly origin: WriteOrigin;
  /** Opaque position; pass the last one seen back as `after` to continue. */
  readonly cursor: string;
}

export interface StoreCapabilities {
  /** More than one process/connection may write concurrently (PostgreSQL). */
  readonly concurrentWriters: boolean;
}

export interface Store {
  readonly capabilities: StoreCapabilities;

  /** Applies pending migrations; idempotent and safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Creates a person, or updates the one whose email matches case-insensitively. Atomic: concurrent calls
   * for one email never create two persons. Throws UNKNOWN_FIELD / VALIDATION_FAILED without writing.
   */
  upsertPersonByEmail(
    fields: Record<string, PersonValue>,
    origin: WriteOrigin,
  ): Promise<{ person: Person; created: boolean }>;
  createPerson(fields: Record<string, PersonValue>, origin: WriteOrigin): Promise<Person>;
  getPerson(id: string): Promise<Person | undefined>;
  /** Partial update; returns undefined when the person does not exist. */
  updatePerson(
    id: string,
    fields: Record<string, PersonValue>,
    origin: WriteOrigin,
  ): Promise<Person | undefined>;
  deletePerson(id: string): Promise<boolean>;
  listPersons(query: PersonQuery): Promise<Page<Person>>;

  /**
   * Every change committed after `after` (undefined = from the beginning), in commit-visible order, each at
   * most once across successive calls that pass back the last cursor — even when concurrent transactions
   * commit out of order (a plain sequence or timestamp watermark loses changes there).
   */
  readPersonChanges(after: string | undefined, limit: number): Promise<Page<PersonChange>>;

  appendActivity(personId: string, type: string, attributes: Record<string, unknown>): Promise<Activity>;
  /** Newest first. */
  listActivities(personId: string, page: { limit: number; cursor?: string }): Promise<Page<Activity>>;

  listPersonFields(): Promise<PersonField[]>;
  addPersonField(field: {
    name: string;
    type: PersonFieldType;
    source: 'crm' | 'marketing';
    crm?: PersonField['crm'];
  }): Promise<PersonField>;

  upsertMirrorRows(
    rows: { entity: string; id: string; attributes: Record<string, unknown>; deleted: boolean }[],
  ): Promise<void>;
  getMirrorRow(entity: string, id: string): Promise<MirrorRow | undefined>;
  listMirrorRows(entity: string, page: { limit: number; cursor?: string }): Promise<Page<MirrorRow>>;

  /** Small key/value settings (e.g. the hashed API key). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
}
