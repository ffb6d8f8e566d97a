import type { Kysely, Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { basesUpsert, linkUpsert } from './bulk-insert.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { recordChanges } from './person-operations.ts';
import { lockingRead } from './row-locks.ts';
import { iso, isPlausibleKey, json, nowIso } from './row-values.ts';
import type { CrmLinksTable, Database } from './schema.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { PersonValue } from '../../domain/person.ts';
import type { CrmLink, LinkedEntity, LinkState, LinkStore } from '../link-store.ts';

/**
 * How many advisory locks `lockLinksOf` spreads CRM ids over: enough that a flow rarely waits for an unrelated
 * small page, few enough that a page of 5,000 records takes a small share of PostgreSQL's shared lock table
 * (`max_locks_per_transaction` 64 × connections by default).
 */
const linkLockBuckets = 256;

/** FNV-1a of the id (GUIDs compared case-insensitively), reduced to a bucket. */
function linkLockBucket(crmId: string): number {
  let hash = 0x811c9dc5;
  for (const char of crmId.toLowerCase()) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % linkLockBuckets;
}

const linkStates: readonly LinkState[] = ['active', 'excluded', 'deleted', 'superseded'];
/** `in (…)` lists are chunked to stay within every backend's bind-parameter limit. */
const inListChunk = 500;

/** Links person ⇄ CRM record (B3, by entity for the B2.5 sweeps), per-field bases (B4.1), and person merges (B3.4, B3.5). */
export function linkOperations(
  ctx: StoreContext,
): Pick<
  LinkStore,
  | 'upsertLink'
  | 'upsertLinks'
  | 'getLink'
  | 'getLinks'
  | 'listLinksOfPerson'
  | 'listLinks'
  | 'deleteLink'
  | 'lockLinksOf'
  | 'getBases'
  | 'getBasesOf'
  | 'setBases'
  | 'setBasesOf'
  | 'mergePersonInto'
  | 'resolvePersonId'
> {
  return {
    async upsertLink(link) {
      validateLink(link);
      return atomically(ctx, async (tx) => {
        await requirePersons(tx.db, [link.personId]);
        const now = nowIso();
        const existing = await selectLink(tx.db, link.entity, link.crmId);
        const values = {
          person_id: link.personId,
          state: link.state,
          etag: link.etag,
          version: link.version,
          updated_at: now,
        };
        if (existing === undefined) {
          await tx.db
            .insertInto('crm_links')
            .values({ entity: link.entity, crm_id: link.crmId, linked_at: now, ...values })
            .execute();
          return toLink({ entity: link.entity, crm_id: link.crmId, linked_at: now, ...values });
        }
        // Re-linking the record to another person is a new link (B3.4 re-links keep the person instead).
        const linkedAt = existing.person_id === link.personId ? existing.linked_at : now;
        await tx.db
          .updateTable('crm_links')
          .set({ ...values, linked_at: iso(linkedAt) })
          .where('entity', '=', link.entity)
          .where('crm_id', '=', link.crmId)
          .execute();
        return toLink({ ...existing, ...values, linked_at: linkedAt });
      });
    },

    async upsertLinks(links) {
      for (const link of links) validateLink(link);
      if (links.length === 0) return;
      const now = nowIso();
      // The foreign key on person_id refuses an unknown person (upsertLink checks first for a clear error).
      await atomically(ctx, (tx) =>
        tx.backend.insertRows(
          tx.db,
          linkUpsert,
          links.map((link) => [
            link.entity,
            link.crmId,
            link.personId,
            link.state,
            link.etag,
            link.version,
            now,
            now,
          ]),
        ),
      );
    },

    async getLink(entity, crmId) {
      const row = isPlausibleKey(crmId) ? await selectLink(ctx.db, entity, crmId) : undefined;
      return row === undefined ? undefined : toLink(row);
    },

    async getLinks(entity, crmIds) {
      const links = new Map<string, CrmLink>();
      for (const chunk of chunks(crmIds.filter(isPlausibleKey))) {
        const rows = await ctx.db
          .selectFrom('crm_links')
          .selectAll()
          .where('entity', '=', entity)
          .where('crm_id', 'in', chunk)
          .execute();
        for (const row of rows) links.set(row.crm_id, toLink(row));
      }
      return links;
    },

    async listLinksOfPerson(personId) {
      if (!isPlausibleKey(personId)) return [];
      const rows = await ctx.db
        .selectFrom('crm_links')
        .selectAll()
        .where('person_id', '=', personId)
        .execute();
      return rows
        .map(toLink)
        .sort(
          (a, b) =>
            Number(b.state === 'active') - Number(a.state === 'active') ||
            b.updatedAt.localeCompare(a.updatedAt),
        );
    },

    async listLinks(entity, page) {
      checkLimit(page.limit);
      let select = ctx.db.selectFrom('crm_links').selectAll().where('entity', '=', entity);
      if (page.cursor !== undefined) {
        const [crmId] = decodeCursor(page.cursor, 'links', ['string']) as [string];
        select = select.where('crm_id', '>', crmId);
      }
      const rows = await select
        .orderBy('crm_id')
        .limit(page.limit + 1)
        .execute();
      return toPage(rows, page.limit, toLink, (row) => encodeCursor('links', [row.crm_id]));
    },

    async deleteLink(entity, crmId) {
      return atomically(ctx, async (tx) => {
        await tx.db
          .deleteFrom('record_bases')
          .where('entity', '=', entity)
          .where('crm_id', '=', crmId)
          .execute();
        const result = await tx.db
          .deleteFrom('crm_links')
          .where('entity', '=', entity)
          .where('crm_id', '=', crmId)
          .executeTakeFirst();
        return result.numDeletedRows > 0n;
      });
    },

    async lockLinksOf(crmIds) {
      const buckets = [...new Set(crmIds.map(linkLockBucket))].sort((a, b) => a - b);
      await ctx.backend.lockKeys(
        ctx.db,
        buckets.map((bucket) => `crm-link:${bucket}`),
      );
    },

    async getBases(entity, crmId) {
      return (await basesOf(ctx, entity, [crmId])).get(crmId) ?? new Map();
    },

    async getBasesOf(entity, crmIds) {
      return basesOf(ctx, entity, crmIds);
    },

    async setBases(entity, crmId, values) {
      await writeBases(ctx, entity, [{ crmId, values }]);
    },

    async setBasesOf(entity, items) {
      await writeBases(ctx, entity, items);
    },

    async mergePersonInto(loserId, survivorId, origin) {
      if (loserId === survivorId) {
        throw new SynclineError('VALIDATION_FAILED', 'A person cannot be merged into itself.');
      }
      await atomically(ctx, async (tx) => {
        await requirePersons(tx.db, [loserId, survivorId]);
        const move = { person_id: survivorId };
        await tx.db.updateTable('activities').set(move).where('person_id', '=', loserId).execute();
        await tx.db.updateTable('crm_links').set(move).where('person_id', '=', loserId).execute();
        await tx.db.updateTable('sync_conflicts').set(move).where('person_id', '=', loserId).execute();
        await tx.db.updateTable('sync_errors').set(move).where('person_id', '=', loserId).execute();
        await tx.db
          .updateTable('opportunity_contact_roles')
          .set(move)
          .where('person_id', '=', loserId)
          .execute();
        await tx.db.updateTable('campaign_runs').set(move).where('person_id', '=', loserId).execute();
        // Aliases stay one hop deep: whatever pointed at the loser now points at the survivor.
        await tx.db
          .updateTable('person_aliases')
          .set({ to_id: survivorId })
          .where('to_id', '=', loserId)
          .execute();
        await tx.db
          .insertInto('person_aliases')
          .values({ from_id: loserId, to_id: survivorId, at: nowIso() })
          .execute();
        await tx.db.deleteFrom('persons').where('id', '=', loserId).execute();
        await recordChanges(tx, [{ personId: loserId, kind: 'delete', fields: [] }], origin);
      });
    },

    async resolvePersonId(id) {
      if (!isPlausibleKey(id)) return undefined;
      const person = await ctx.db.selectFrom('persons').select('id').where('id', '=', id).executeTakeFirst();
      if (person !== undefined) return id;
      const alias = await ctx.db
        .selectFrom('person_aliases')
        .innerJoin('persons', 'persons.id', 'person_aliases.to_id')
        .select('persons.id')
        .where('person_aliases.from_id', '=', id)
        .executeTakeFirst();
      return alias?.id;
    },
  };
}

function validateLink(link: Pick<CrmLink, 'entity' | 'crmId' | 'state'>): void {
  if ((link.entity !== 'lead' && link.entity !== 'contact') || !linkStates.includes(link.state)) {
    throw new SynclineError('VALIDATION_FAILED', `Invalid link: entity ${link.entity}, state ${link.state}.`);
  }
  if (!isPlausibleKey(link.crmId)) throw new SynclineError('VALIDATION_FAILED', 'A link needs a CRM id.');
}

async function requirePersons(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  const found = ids.every(isPlausibleKey)
    ? await db.selectFrom('persons').select('id').where('id', 'in', ids).execute()
    : [];
  const missing = ids.filter((id) => !found.some((row) => row.id === id));
  if (missing.length > 0) {
    throw new SynclineError('NOT_FOUND', `No person with id ${missing.join(', ')}.`, {
      details: { missing },
    });
  }
}

function selectLink(db: Kysely<Database>, entity: string, crmId: string) {
  return db
    .selectFrom('crm_links')
    .selectAll()
    .where('entity', '=', entity)
    .where('crm_id', '=', crmId)
    .executeTakeFirst();
}

async function basesOf(
  ctx: Pick<StoreContext, 'db' | 'backend'>,
  entity: string,
  crmIds: readonly string[],
): Promise<Map<string, Map<string, PersonValue>>> {
  const bases = new Map<string, Map<string, PersonValue>>();
  for (const [crmId, document] of await basesDocuments(ctx, entity, crmIds)) {
    bases.set(crmId, new Map(Object.entries(document)));
  }
  return bases;
}

/** `locked`: the rows are read for a read-modify-write and held to the end of the transaction (row-locks.ts). */
async function basesDocuments(
  ctx: Pick<StoreContext, 'db' | 'backend'>,
  entity: string,
  crmIds: readonly string[],
  locked = false,
): Promise<Map<string, Record<string, PersonValue>>> {
  const documents = new Map<string, Record<string, PersonValue>>();
  for (const chunk of chunks(crmIds.filter(isPlausibleKey))) {
    const query = ctx.db
      .selectFrom('record_bases')
      .select(['crm_id', 'bases'])
      .where('entity', '=', entity)
      .where('crm_id', 'in', chunk);
    const rows = await (locked ? lockingRead(ctx, query.orderBy('crm_id')) : query).execute();
    for (const row of rows) documents.set(row.crm_id, json<Record<string, PersonValue>>(row.bases));
  }
  return documents;
}

/**
 * Sets (and with `undefined` removes) fields of records' bases: one read of the current documents and one
 * multi-row upsert per chunk of records. A record at most once per call (the last entry wins).
 *
 * A read-modify-write of a whole document, so the read locks the rows (row-locks.ts, B4.7), in CRM-id order:
 * two transactions setting different fields of one record's bases (a page and a backfill, a page and a flow's
 * push) both keep their fields instead of the later commit writing back the document it read before the other
 * committed. A document that does not exist yet has no row to lock; its first writers are the transaction
 * that links the record.
 */
async function writeBases(
  ctx: StoreContext,
  entity: string,
  items: readonly { crmId: string; values: Readonly<Record<string, PersonValue | undefined>> }[],
): Promise<void> {
  const byRecord = new Map<string, Readonly<Record<string, PersonValue | undefined>>>();
  for (const item of items) {
    if (!isPlausibleKey(item.crmId)) throw new SynclineError('VALIDATION_FAILED', 'Bases need a CRM id.');
    const earlier = byRecord.get(item.crmId);
    byRecord.set(item.crmId, earlier === undefined ? item.values : { ...earlier, ...item.values });
  }
  if (byRecord.size === 0) return;
  const now = nowIso();
  await atomically(ctx, async (tx) => {
    const batch = ctx.backend.capabilities.maxBatchRows;
    const ids = [...byRecord.keys()].sort();
    for (let start = 0; start < ids.length; start += Math.min(batch, inListChunk)) {
      const chunk = ids.slice(start, start + Math.min(batch, inListChunk));
      const current = await basesDocuments(tx, entity, chunk, true);
      const emptied: string[] = [];
      const rows: unknown[][] = [];
      for (const crmId of chunk) {
        const stored = current.get(crmId);
        // `undefined` removes a field: JSON.stringify leaves such keys out. A new record's values are written
        // as they are; copying them into a fresh object first made each document ~5× slower to serialise.
        const values = byRecord.get(crmId)!;
        const text = JSON.stringify(stored === undefined ? values : Object.assign(stored, values));
        // A record without bases has no row, as before any was set.
        if (text === '{}') {
          if (stored !== undefined) emptied.push(crmId);
          continue;
        }
        rows.push([entity, crmId, text, now]);
      }
      if (emptied.length > 0) {
        await tx.db
          .deleteFrom('record_bases')
          .where('entity', '=', entity)
          .where('crm_id', 'in', emptied)
          .execute();
      }
      await tx.backend.insertRows(tx.db, basesUpsert, rows);
    }
  });
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += inListChunk)
    result.push(items.slice(start, start + inListChunk));
  return result;
}

export function toLink(row: Selectable<CrmLinksTable>): CrmLink {
  return {
    entity: row.entity as LinkedEntity,
    crmId: row.crm_id,
    personId: row.person_id,
    state: row.state as LinkState,
    etag: row.etag,
    version: row.version,
    linkedAt: iso(row.linked_at),
    updatedAt: iso(row.updated_at),
  };
}
