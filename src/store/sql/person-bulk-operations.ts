import { SynclineError } from '../../errors/syncline-error.ts';
import {
  lockPersonRows,
  lookupFor,
  planUpdate,
  recordChanges,
  toPerson,
  type PersonRow,
} from './person-operations.ts';
import { normaliseEmail, validatePersonInput } from './person-validation.ts';
import { isPlausibleKey } from './row-values.ts';
import type { PersonRowUpdate } from './store-backend.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { PersonStore } from '../person-store.ts';
import type { Person } from '../../domain/person.ts';

/** `in (…)` lists are chunked to stay within every backend's bind-parameter limit. */
const inListChunk = 500;

/**
 * Page-at-a-time person operations for the sync engine: a page of 5,000 CRM records is one round of
 * statements instead of several statements per record (issue 7: per-record statements held the initial load
 * to a few hundred records per second, and to one round trip per statement on PostgreSQL).
 */
export function personBulkOperations(
  ctx: StoreContext,
): Pick<PersonStore, 'updatePersons' | 'getPersonsForUpdate' | 'findPersonsByEmails'> {
  return {
    async updatePersons(items, origin) {
      if (items.length === 0) return [];
      const lookup = await lookupFor(
        ctx,
        items.flatMap((item) =>
          item.fields !== null && typeof item.fields === 'object' ? Object.keys(item.fields) : [],
        ),
      );
      const validated = items.map((item) => ({
        id: item.id,
        fields: validatePersonInput(item.fields, lookup.get, origin),
      }));
      const ids = new Set<string>();
      for (const item of validated) {
        if (ids.has(item.id)) {
          throw new SynclineError('VALIDATION_FAILED', `Person ${item.id} appears twice in one bulk update.`);
        }
        ids.add(item.id);
      }
      return atomically(ctx, async (tx) => {
        // The lock order of row-locks.ts (emails, then rows), each group sorted, as updatePerson and
        // upsertPersonByEmail: a bulk update neither races a single one into a lost update nor deadlocks with
        // it. Rows the caller already holds (getPersonsForUpdate) are taken again at no cost.
        const emails = validated.flatMap((item) => normaliseEmail(item.fields.email) ?? []);
        await lockEmails(tx, emails);
        const wanted = validated.filter((item) => isPlausibleKey(item.id));
        const locked = await lockPersonRows(
          tx,
          wanted.map((item) => item.id),
        );
        const rows = new Map<string, PersonRow>(locked.map((row) => [row.id, row]));
        const updated: Person[] = [];
        const changes: Parameters<typeof recordChanges>[1][number][] = [];
        const writes: PersonRowUpdate[] = [];
        const current = await lookupFor(tx, []);
        for (const item of wanted) {
          const existing = rows.get(item.id);
          if (existing === undefined) continue;
          const { person, changed, row } = planUpdate(existing, item.fields, current);
          updated.push(person);
          if (row !== undefined) writes.push(row);
          if (changed.length > 0) changes.push({ personId: item.id, kind: 'update', fields: changed });
        }
        await tx.backend.updatePersonRows(tx.db, writes);
        if (changes.length > 0) await recordChanges(tx, changes, origin);
        return updated;
      });
    },

    async getPersonsForUpdate(ids, options = {}) {
      return atomically(ctx, async (tx) => {
        // B4.7, row-locks.ts: the emails this transaction may write, then the rows, so the merge decides from
        // what it holds and a concurrent updatePerson (email, then row) waits for the commit instead.
        const emails = options.emails ?? [];
        await lockEmails(
          tx,
          emails.flatMap((email) => normaliseEmail(email) ?? []),
        );
        const rows = await lockPersonRows(tx, ids);
        const lookup = await lookupFor(tx, []);
        return rows.map((row) => toPerson(row, lookup));
      });
    },

    async findPersonsByEmails(emails, filter = {}) {
      const byNorm = new Map<string, Person[]>();
      const norms = [...new Set(emails.flatMap((email) => normaliseEmail(email) ?? []))];
      const lookup = await lookupFor(ctx, []);
      for (const chunk of chunks(norms)) {
        let select = ctx.db.selectFrom('persons').selectAll().where('email_norm', 'in', chunk);
        if (filter.crmType === 'none') select = select.where('crm_type', 'is', null);
        const rows = await select.orderBy('created_at').orderBy('id').execute();
        for (const row of rows) {
          const key = row.email_norm ?? '';
          let list = byNorm.get(key);
          if (list === undefined) byNorm.set(key, (list = []));
          list.push(toPerson(row, lookup));
        }
      }
      const result = new Map<string, Person[]>();
      for (const email of emails) {
        const norm = normaliseEmail(email);
        result.set(email, norm === null ? [] : (byNorm.get(norm) ?? []));
      }
      return result;
    },
  };
}

/** The advisory email locks (`person-email:<normalised>`), sorted, in one round trip. */
function lockEmails(tx: StoreContext, normalised: readonly string[]): Promise<void> {
  return tx.backend.lockKeys(
    tx.db,
    [...new Set(normalised)].sort().map((email) => `person-email:${email}`),
  );
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += inListChunk)
    result.push(items.slice(start, start + inListChunk));
  return result;
}
