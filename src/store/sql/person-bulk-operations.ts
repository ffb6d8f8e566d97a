import { SynclineError } from '../../errors/syncline-error.ts';
import { lookupFor, planUpdate, recordChanges, toPerson } from './person-operations.ts';
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
): Pick<PersonStore, 'updatePersons' | 'findPersonsByEmails'> {
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
        // The same lock order as updatePerson and upsertPersonByEmail (emails, then rows), each group sorted,
        // so a bulk update neither races a single one into a lost update nor deadlocks with it.
        const emails = validated.flatMap((item) => normaliseEmail(item.fields.email) ?? []);
        await tx.backend.lockKeys(
          tx.db,
          [...new Set(emails)].sort().map((email) => `person-email:${email}`),
        );
        const wanted = validated.filter((item) => isPlausibleKey(item.id));
        await tx.backend.lockKeys(tx.db, wanted.map((item) => `person:${item.id}`).sort());
        const rows = new Map<string, Awaited<ReturnType<typeof selectPersons>>[number]>();
        for (const chunk of chunks(wanted.map((item) => item.id))) {
          for (const row of await selectPersons(tx, chunk)) rows.set(row.id, row);
        }
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

function selectPersons(tx: StoreContext, ids: readonly string[]) {
  return tx.db.selectFrom('persons').selectAll().where('id', 'in', ids).execute();
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += inListChunk)
    result.push(items.slice(start, start + inListChunk));
  return result;
}
