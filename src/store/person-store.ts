import type { Person, PersonValue, WriteOrigin } from '../domain/person.ts';
import type { PersonFieldType } from '../domain/person-fields.ts';

/**
 * The persons port: persons, their custom fields, their activity log and the change feed — what the API's
 * person routes, the engine and the flows share. Part of `Store` (store.ts); both backends pass
 * tests/contract/register-person-store-tests.ts.
 *
 * Errors: bad input throws `SynclineError` (UNKNOWN_FIELD, VALIDATION_FAILED, READ_ONLY_FIELD, INVALID_CURSOR,
 * CONFLICT, NOT_FOUND) before anything is written; an unreachable database throws STORE_UNAVAILABLE.
 * Paging: every list method takes a `limit` (1–1000) and returns an opaque `nextCursor` (keyset, so a row is
 * visited exactly once even while rows are inserted or deleted between pages).
 *
 * Locking (B4.7): every person write (`updatePerson`, `updatePersons`, `upsertPersonByEmail`) reads the row it
 * changes under the person's lock, held to the end of its transaction, after the email locks it needs. A
 * caller that decides what to write from a person's values (the sync's three-way merge) reads them with
 * `getPersonsForUpdate` inside its `withTransaction`, never with `getPerson(s)`: a concurrent edit then either
 * committed before that read (and is merged as a marketing change) or waits for the commit (and is pushed
 * afterwards) — it is never overwritten by a decision taken from an older value.
 */

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

/** A page of results; `nextCursor` is opaque to callers and null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** Paging arguments of every list method: `limit` 1–1000, `cursor` from a previous page's `nextCursor`. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
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
  readonly kind: 'create' | 'update' | 'delete';
  /** Names of the person fields this write changed (all set fields on create, empty on delete). */
  readonly fields: readonly string[];
  readonly at: string;
}

export interface PersonStore {
  /**
   * Runs `fn` in one database transaction: every write made through `tx` commits together or not at all.
   * `fn` must use `tx`, never the outer store, until it returns (on SQLite the outer store waits for the
   * transaction and would deadlock). Calling `withTransaction` on `tx` runs in the same transaction. A throw
   * rolls back and is rethrown.
   */
  withTransaction<T>(fn: (tx: PersonStore) => Promise<T>): Promise<T>;

  /**
   * Creates a person, or updates the one whose email matches case-insensitively. Atomic: concurrent calls
   * for one email never create two persons. Throws UNKNOWN_FIELD / VALIDATION_FAILED without writing.
   */
  upsertPersonByEmail(
    fields: Record<string, PersonValue>,
    origin: WriteOrigin,
  ): Promise<{ person: Person; created: boolean }>;
  /**
   * Creates a person without looking at emails: several persons may share an email when the CRM has several
   * records with it (B3.2). Validation as for `upsertPersonByEmail`.
   */
  createPerson(fields: Record<string, PersonValue>, origin: WriteOrigin): Promise<Person>;
  /**
   * Bulk `createPerson` (initial load, benchmarks): validates every item first, then writes all of them in
   * one transaction with multi-row inserts. Returns the persons in input order.
   */
  createPersons(items: readonly Record<string, PersonValue>[], origin: WriteOrigin): Promise<Person[]>;
  /** `createPersons` for callers that need only the new ids, in input order (a page of CRM records). */
  createPersonIds(items: readonly Record<string, PersonValue>[], origin: WriteOrigin): Promise<string[]>;
  /** Undefined for an unknown or malformed id (never throws for a bad id). */
  getPerson(id: string): Promise<Person | undefined>;
  /**
   * Many persons by id (the engine loads a page of the change feed at once); unknown ids are left out.
   * Order follows `ids`. At most 1000 ids per call (VALIDATION_FAILED otherwise).
   */
  getPersons(ids: readonly string[]): Promise<Person[]>;
  /**
   * `getPersons` for a read-modify-write (B4.7): inside `withTransaction`, reads the persons and holds them
   * until the transaction ends, so no other write changes them between this read and the commit (writers
   * wait). Takes the email locks of `options.emails` first — the emails the caller may write to these persons
   * — so the lock order is the store's one (emails, then persons by id) and a concurrent `updatePerson` that
   * changes an email cannot deadlock with it. Any number of ids, one round trip per 500 (PostgreSQL:
   * `select … for update` in id order; SQLite: a plain read, as its write transactions already exclude every
   * other writer). Unknown ids are left out; ordered by id. Outside a transaction the locks end with the call.
   */
  getPersonsForUpdate(ids: readonly string[], options?: { emails?: readonly string[] }): Promise<Person[]>;
  /**
   * Partial update; returns undefined when the person does not exist. A field set to null is cleared. An
   * update that changes no value writes nothing and records no change (echo suppression, B4.4).
   */
  updatePerson(
    id: string,
    fields: Record<string, PersonValue>,
    origin: WriteOrigin,
  ): Promise<Person | undefined>;
  /**
   * Deletes the person with its activities, links, bases, conflicts and markers; records a `delete` change.
   * Never touches the CRM (B3.6). False when there was no such person.
   */
  deletePerson(id: string, origin?: WriteOrigin): Promise<boolean>;
  /** Ordered by id (ids are time-ordered UUIDv7, so roughly by creation). `email` matches case-insensitively. */
  listPersons(query: PersonQuery): Promise<Page<Person>>;
  /**
   * Bulk `updatePerson` (a page of CRM changes) with the same validation, locks and echo suppression; one
   * person at most once per call (VALIDATION_FAILED otherwise). Returns the persons that exist, in input order.
   */
  updatePersons(
    items: readonly { id: string; fields: Record<string, PersonValue> }[],
    origin: WriteOrigin,
  ): Promise<Person[]>;
  /**
   * The persons with each of `emails` (case-insensitively), oldest first, keyed by the email as given;
   * `crmType: 'none'` keeps only marketing-only persons (email matching on a first link, B3.2).
   */
  findPersonsByEmails(
    emails: readonly string[],
    filter?: { crmType?: 'none' },
  ): Promise<Map<string, Person[]>>;

  /**
   * Every change committed after `after` (undefined = from the beginning), in commit-visible order, each at
   * most once across successive calls that pass back the last cursor — even when concurrent transactions
   * commit out of order (a plain sequence or timestamp watermark loses changes there). A change of a
   * still-running transaction is withheld until it commits (it is never skipped). `limit` 1–10000.
   * `nextCursor` is where to resume: the last item's cursor, or `after` again when nothing new was committed
   * (null only when the feed is empty and `after` was undefined). Throws INVALID_CURSOR for a foreign cursor.
   * With `exceptOrigin`, the changes of that origin are skipped in the store (the engine's collector passes
   * `sync`: after an initial load of 100,000 contacts it built 100,000 changes only to drop them, 0.5–0.8 s):
   * `limit` rows are scanned, fewer may come back, and `nextCursor` is the last row scanned — a page may be
   * empty while the feed goes on, so such a reader reads until `nextCursor` stops moving.
   */
  readPersonChanges(
    after: string | undefined,
    limit: number,
    options?: { readonly exceptOrigin?: WriteOrigin },
  ): Promise<Page<PersonChange>>;
  /** Drops feed entries up to and including `through` (a cursor every reader has passed); returns how many. */
  prunePersonChanges(through: string): Promise<number>;
  /**
   * Bounded storage: drops the feed entries that every one of `readers` (names of their cursors, CursorStore)
   * has passed and that were committed before `before`; returns how many. A reader without a cursor has
   * passed nothing, so then nothing is dropped. Safe to run from several processes at once (a delete of what
   * is gone deletes nothing) and beside the readers (a cursor only moves forward).
   */
  prunePassedPersonChanges(options: { readers: readonly string[]; before: string }): Promise<number>;
  /**
   * B2.8: calls `listener` after a transaction that recorded a create or update of any origin but `sync` has
   * committed — every such commit in this process, and on PostgreSQL also those of other processes on the same
   * schema (LISTEN/NOTIFY). A wake-up hint, not a feed: calls may be spurious or merged, one made while the
   * notification connection is down is lost, and nothing is called for a rollback; read `readPersonChanges` for
   * what changed. Synchronous; returns the removal of the listener.
   */
  onMarketingCommit(listener: () => void): () => void;

  /** Throws NOT_FOUND when the person does not exist. `at` defaults to now. */
  appendActivity(
    personId: string,
    type: string,
    attributes: Record<string, unknown>,
    at?: string,
  ): Promise<Activity>;
  /** `appendActivity` for many persons at once; NOT_FOUND (and nothing written) when a person does not exist. */
  appendActivities(
    items: readonly { personId: string; type: string; attributes: Record<string, unknown>; at?: string }[],
  ): Promise<void>;
  /** Newest first. An unknown person yields an empty page. */
  listActivities(personId: string, page: PageRequest): Promise<Page<Activity>>;

  /** System fields (read-only), then the standard fields (§6), then custom fields in creation order. */
  listPersonFields(): Promise<PersonField[]>;
  /**
   * Adds a custom field. Names: a letter then letters, digits or `_`, at most 100 characters
   * (VALIDATION_FAILED otherwise); a name already taken → CONFLICT.
   */
  addPersonField(field: {
    name: string;
    type: PersonFieldType;
    source: 'crm' | 'marketing';
    crm?: PersonField['crm'];
  }): Promise<PersonField>;
}
