import { sql, type Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { personChangeInsert, personInsert } from './bulk-insert.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import type { PersonFieldLookup } from './person-field-catalog.ts';
import { listCustomFields } from './person-field-operations.ts';
import { normaliseEmail, validatePersonInput } from './person-validation.ts';
import { lockingRead } from './row-locks.ts';
import { iso, isPlausibleKey, json, newId, nowIso } from './row-values.ts';
import type { PersonsTable } from './schema.ts';
import type { PersonRowUpdate } from './store-backend.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { PersonStore } from '../person-store.ts';
import type { Person, PersonValue, WriteOrigin } from '../../domain/person.ts';

export type PersonRow = Selectable<PersonsTable>;
type StoredFields = Record<string, PersonValue>;

/**
 * Persons: create, upsert by email, update, delete, list — each write records a change-feed entry in the
 * same transaction (see change-feed-operations.ts), tagged with its origin so the engine can skip its own writes (B4.4).
 */
export function personOperations(
  ctx: StoreContext,
): Pick<
  PersonStore,
  | 'upsertPersonByEmail'
  | 'createPerson'
  | 'createPersons'
  | 'createPersonIds'
  | 'getPerson'
  | 'getPersons'
  | 'updatePerson'
  | 'deletePerson'
  | 'listPersons'
> {
  return {
    /**
     * One email, one person — even under concurrency: the transaction first takes a lock on the normalised
     * email (an advisory lock on PostgreSQL; on SQLite `BEGIN IMMEDIATE` already serialises writers), then
     * looks the email up and creates or updates. No unique index enforces it, because persons created by the
     * CRM sync may share an email (B3.2); when several do, the oldest is updated.
     */
    async upsertPersonByEmail(input, origin) {
      const fields = await validated(ctx, input, origin);
      const email = normaliseEmail(fields.email);
      if (email === null) {
        throw new SynclineError('VALIDATION_FAILED', 'email is required to create or update by email.', {
          details: { problems: [{ field: 'email', message: 'is required' }] },
        });
      }
      return atomically(ctx, async (tx) => {
        // Email, then the row (row-locks.ts): the update below decides from the row it holds (B4.7).
        await tx.backend.lockKey(tx.db, `person-email:${email}`);
        const existing = await lockingRead(
          tx,
          tx.db
            .selectFrom('persons')
            .selectAll()
            .where('email_norm', '=', email)
            .orderBy('created_at')
            .orderBy('id')
            .limit(1),
        ).executeTakeFirst();
        if (existing === undefined) {
          const [row] = await insertPersons(tx, [fields], origin);
          return { person: toPerson(row, await lookupFor(tx, [])), created: true };
        }
        return { person: await applyUpdate(tx, existing, fields, origin), created: false };
      });
    },

    async createPerson(input, origin) {
      const fields = await validated(ctx, input, origin);
      const [row] = await atomically(ctx, (tx) => insertPersons(tx, [fields], origin));
      return toPerson(row, await lookupFor(ctx, []));
    },

    async createPersons(items, origin) {
      const rows = await insertMany(ctx, items, origin);
      const lookup = await lookupFor(ctx, []);
      return rows.map((row) => toPerson(row, lookup));
    },

    async createPersonIds(items, origin) {
      return (await insertMany(ctx, items, origin)).map((row) => row.id);
    },

    async getPerson(id) {
      if (!isPlausibleKey(id)) return undefined;
      const row = await ctx.db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toPerson(row, await lookupFor(ctx, []));
    },

    async getPersons(ids) {
      checkLimit(ids.length === 0 ? 1 : ids.length);
      const wanted = [...new Set(ids.filter(isPlausibleKey))];
      if (wanted.length === 0) return [];
      const rows = await ctx.db.selectFrom('persons').selectAll().where('id', 'in', wanted).execute();
      const lookup = await lookupFor(ctx, []);
      const byId = new Map(rows.map((row) => [row.id, toPerson(row, lookup)]));
      return wanted.flatMap((id) => byId.get(id) ?? []);
    },

    async updatePerson(id, input, origin) {
      const fields = await validated(ctx, input, origin);
      if (!isPlausibleKey(id)) return undefined;
      const email = normaliseEmail(fields.email);
      return atomically(ctx, async (tx) => {
        // The lock order of row-locks.ts (email, then row), as upsertPersonByEmail: an email change cannot race
        // an upsert into a duplicate nor deadlock with it, and the row is read locked, so a page of CRM changes
        // that holds it is waited for, never overwritten with what it replaced (B4.7).
        if (email !== null) await tx.backend.lockKey(tx.db, `person-email:${email}`);
        const [existing] = await lockPersonRows(tx, [id]);
        return existing === undefined ? undefined : applyUpdate(tx, existing, fields, origin);
      });
    },

    async deletePerson(id, origin = 'api') {
      if (!isPlausibleKey(id)) return false;
      return atomically(ctx, async (tx) => {
        // Bases belong to the person's links but have no foreign key (they are keyed by CRM record).
        await sql`delete from record_bases where (entity, crm_id) in
          (select entity, crm_id from crm_links where person_id = ${id})`.execute(tx.db);
        await tx.db
          .updateTable('opportunity_contact_roles')
          .set({ person_id: null })
          .where('person_id', '=', id)
          .execute();
        const deleted = await tx.db.deleteFrom('persons').where('id', '=', id).executeTakeFirst();
        if (deleted.numDeletedRows === 0n) return false;
        await recordChanges(tx, [{ personId: id, kind: 'delete', fields: [] }], origin);
        return true;
      });
    },

    async listPersons(query) {
      checkLimit(query.limit);
      let select = ctx.db.selectFrom('persons').selectAll();
      if (query.email !== undefined)
        select = select.where('email_norm', '=', normaliseEmail(query.email) ?? '');
      if (query.crmType === 'none') select = select.where('crm_type', 'is', null);
      else if (query.crmType !== undefined) select = select.where('crm_type', '=', query.crmType);
      if (query.updatedSince !== undefined)
        select = select.where('updated_at', '>=', isoArgument(query.updatedSince));
      if (query.cursor !== undefined) {
        const [after] = decodeCursor(query.cursor, 'persons', ['string']);
        select = select.where('id', '>', after as string);
      }
      const rows = await select
        .orderBy('id')
        .limit(query.limit + 1)
        .execute();
      const lookup = await lookupFor(ctx, []);
      return toPage(
        rows,
        query.limit,
        (row) => toPerson(row, lookup),
        (row) => encodeCursor('persons', [row.id]),
      );
    },
  };
}

/** `in (…)` lists are chunked to stay within every backend's bind-parameter limit. */
const inListChunk = 500;

/**
 * Reads person rows for a read-modify-write and holds them until the transaction ends (row-locks.ts, B4.7):
 * in id order, `in` lists of at most 500 ids taken in that order, so any two lockers of overlapping sets meet
 * in the same order. Returns the rows that exist, by id. Must run inside a transaction (`atomically`).
 */
export async function lockPersonRows(tx: StoreContext, ids: readonly string[]): Promise<PersonRow[]> {
  const sorted = [...new Set(ids.filter(isPlausibleKey))].sort();
  const rows: PersonRow[] = [];
  for (let start = 0; start < sorted.length; start += inListChunk) {
    const chunk = sorted.slice(start, start + inListChunk);
    const query = tx.db.selectFrom('persons').selectAll().where('id', 'in', chunk).orderBy('id');
    rows.push(...(await lockingRead(tx, query).execute()));
  }
  return rows;
}

export async function lookupFor(ctx: StoreContext, names: Iterable<string>): Promise<PersonFieldLookup> {
  return ctx.fields.resolve(names, () => listCustomFields(ctx.db), !ctx.inTransaction);
}

async function validated(
  ctx: StoreContext,
  input: unknown,
  origin: WriteOrigin,
): Promise<Record<string, PersonValue>> {
  const names = input !== null && typeof input === 'object' ? Object.keys(input) : [];
  return validatePersonInput(input, (await lookupFor(ctx, names)).get, origin);
}

function isoArgument(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new SynclineError('VALIDATION_FAILED', 'updatedSince must be an ISO 8601 date-time.', {
      details: { problems: [{ field: 'updatedSince', message: 'must be an ISO 8601 date-time' }] },
    });
  }
  return new Date(time).toISOString();
}

/** Only non-null values are stored: a missing key and null mean the same (an empty field). */
function withoutNulls(fields: StoredFields): StoredFields {
  // A plain loop: this runs for every person an initial load writes, and entries/filter/fromEntries made
  // three short-lived arrays per field.
  const stored: StoredFields = {};
  for (const name in fields) {
    const value = fields[name];
    if (value !== null && value !== undefined) stored[name] = value;
  }
  return stored;
}

function derivedColumns(fields: StoredFields): {
  email_norm: string | null;
  crm_type: string | null;
  crm_account_id: string | null;
} {
  return {
    email_norm: normaliseEmail(fields.email),
    crm_type: typeof fields.crmType === 'string' ? fields.crmType : null,
    crm_account_id: typeof fields.crmAccountId === 'string' ? fields.crmAccountId : null,
  };
}

/** Validates every item, then inserts them all in one transaction (bulk-insert.ts: the statements' shapes). */
async function insertMany(
  ctx: StoreContext,
  items: readonly Record<string, PersonValue>[],
  origin: WriteOrigin,
): Promise<InsertedRow[]> {
  const lookup = await lookupFor(
    ctx,
    items.flatMap((item) => (item !== null && typeof item === 'object' ? Object.keys(item) : [])),
  );
  const all = items.map((item) => validatePersonInput(item, lookup.get, origin));
  return atomically(ctx, (tx) => insertPersons(tx, all, origin));
}

type InsertedRow = Pick<PersonRow, 'id' | 'created_at' | 'updated_at'> & { fields: StoredFields };

async function insertPersons(
  tx: StoreContext,
  items: readonly StoredFields[],
  origin: WriteOrigin,
): Promise<InsertedRow[]> {
  if (items.length === 0) return [];
  const at = nowIso();
  const inserted: InsertedRow[] = new Array(items.length);
  const values: unknown[][] = new Array(items.length);
  const changes: Change[] = new Array(items.length);
  for (let index = 0; index < items.length; index++) {
    const fields = withoutNulls(items[index]);
    const id = newId();
    inserted[index] = { id, fields, created_at: at, updated_at: at };
    const derived = derivedColumns(fields);
    values[index] = [
      id,
      derived.email_norm,
      derived.crm_type,
      derived.crm_account_id,
      JSON.stringify(fields),
      at,
      at,
    ];
    changes[index] = { personId: id, kind: 'create', fields: Object.keys(fields) };
  }
  await tx.backend.insertRows(tx.db, personInsert, values);
  await recordChanges(tx, changes, origin);
  return inserted;
}

async function applyUpdate(
  tx: StoreContext,
  existing: PersonRow,
  changes: StoredFields,
  origin: WriteOrigin,
): Promise<Person> {
  const { person, changed } = await writeUpdate(tx, existing, changes);
  if (changed.length > 0)
    await recordChanges(tx, [{ personId: existing.id, kind: 'update', fields: changed }], origin);
  return person;
}

/**
 * Writes the changed values of one locked person row; the caller records the change-feed entry (one per
 * person, or one statement for a page of them).
 */
export async function writeUpdate(
  tx: StoreContext,
  existing: PersonRow,
  changes: StoredFields,
): Promise<{ person: Person; changed: string[] }> {
  const { person, changed, row } = planUpdate(existing, changes, await lookupFor(tx, []));
  if (row !== undefined) await tx.backend.updatePersonRows(tx.db, [row]);
  return { person, changed };
}

/**
 * What writing `changes` over a person row means: the fields that change, the row's new values (none when
 * nothing changes) and the person as it reads afterwards. Pure, so a page of updates is planned first and
 * written with one statement per chunk (`StoreBackend.updatePersonRows`).
 */
export function planUpdate(
  existing: PersonRow,
  changes: StoredFields,
  lookup: PersonFieldLookup,
): { person: Person; changed: string[]; row: PersonRowUpdate | undefined } {
  const before = json<StoredFields>(existing.fields);
  const changed = Object.keys(changes).filter((name) => (before[name] ?? null) !== changes[name]);
  if (changed.length === 0) return { person: toPerson(existing, lookup), changed, row: undefined };
  const fields = withoutNulls({ ...before, ...changes });
  const updatedAt = nowIso();
  return {
    person: toPerson({ ...existing, fields, updated_at: updatedAt }, lookup),
    changed,
    row: {
      id: existing.id,
      ...derivedColumns(fields),
      fields: JSON.stringify(fields),
      updated_at: updatedAt,
    },
  };
}

interface Change {
  readonly personId: string;
  readonly kind: 'create' | 'update' | 'delete';
  readonly fields: readonly string[];
}

/** Appends change-feed entries, in the order given; must run in the transaction of the write it describes. */
export async function recordChanges(
  tx: StoreContext,
  changes: readonly Change[],
  origin: WriteOrigin,
): Promise<void> {
  if (changes.length === 0) return;
  const at = nowIso();
  if (origin !== 'sync' && changes.some((change) => change.kind !== 'delete')) await announce(tx);
  await tx.backend.insertRows(
    tx.db,
    personChangeInsert,
    changes.map((change) => [change.personId, origin, change.kind, JSON.stringify(change.fields), at]),
  );
}

/**
 * B2.8: marketing changes (not the sync's own writes, not deletes — the pusher ignores both) wake the pusher
 * once their transaction has committed: other processes through the backend's announcement, this process after
 * the commit. Once per transaction.
 */
async function announce(tx: StoreContext): Promise<void> {
  const signal = tx.changeSignal;
  if (tx.afterCommit === undefined) {
    // recordChanges runs in the write's transaction; without one the write has committed already.
    signal.emit();
    return;
  }
  if (tx.afterCommit.includes(signal.emit)) return;
  tx.afterCommit.push(signal.emit);
  await signal.announce(tx.db);
}

/** Every registered field appears (null when empty), plus any stored value of a field added elsewhere. */
export function toPerson(
  row: Pick<PersonRow, 'id' | 'fields' | 'created_at' | 'updated_at'>,
  lookup: PersonFieldLookup,
): Person {
  const fields: Record<string, PersonValue> = { ...lookup.empty(), ...json<StoredFields>(row.fields) };
  return { id: row.id, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at), fields };
}
