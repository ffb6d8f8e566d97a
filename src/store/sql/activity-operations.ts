import { SynclineError } from '../../errors/syncline-error.ts';
import { activityInsert } from './bulk-insert.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { hasNul, iso, isPlausibleKey, json, newId, nowIso } from './row-values.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { PersonStore } from '../person-store.ts';

const inListChunk = 500;

function validateActivity(type: unknown, attributes: unknown): void {
  if (typeof type !== 'string' || type.length === 0 || type.length > 100) {
    throw new SynclineError('VALIDATION_FAILED', 'An activity type must be 1–100 characters.');
  }
  if (attributes === null || typeof attributes !== 'object' || hasNul(attributes)) {
    throw new SynclineError(
      'VALIDATION_FAILED',
      'Activity attributes must be an object without NUL characters.',
    );
  }
}

/** The activity log of a person (B6.4): append-only, read newest first. */
export function activityOperations(
  ctx: StoreContext,
): Pick<PersonStore, 'appendActivity' | 'appendActivities' | 'listActivities'> {
  return {
    async appendActivity(personId, type, attributes, at = nowIso()) {
      validateActivity(type, attributes);
      const exists =
        isPlausibleKey(personId) &&
        (await ctx.db.selectFrom('persons').select('id').where('id', '=', personId).executeTakeFirst()) !==
          undefined;
      if (!exists) throw new SynclineError('NOT_FOUND', `No person with id ${String(personId)}.`);
      const activity = { id: newId(), personId, type, at: iso(at), attributes: { ...attributes } };
      await ctx.db
        .insertInto('activities')
        .values({
          id: activity.id,
          person_id: personId,
          type,
          at: activity.at,
          attributes: JSON.stringify(activity.attributes),
        })
        .execute();
      return activity;
    },

    async appendActivities(items) {
      for (const item of items) validateActivity(item.type, item.attributes);
      if (items.length === 0) return;
      const ids = [...new Set(items.map((item) => item.personId))];
      const found = new Set<string>();
      for (let start = 0; start < ids.length; start += inListChunk) {
        const chunk = ids.slice(start, start + inListChunk).filter(isPlausibleKey);
        if (chunk.length === 0) continue;
        const rows = await ctx.db.selectFrom('persons').select('id').where('id', 'in', chunk).execute();
        for (const row of rows) found.add(row.id);
      }
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined)
        throw new SynclineError('NOT_FOUND', `No person with id ${String(missing)}.`);
      const now = nowIso();
      const rows = items.map((item) => [
        newId(),
        item.personId,
        item.type,
        iso(item.at ?? now),
        JSON.stringify({ ...item.attributes }),
      ]);
      await atomically(ctx, (tx) => tx.backend.insertRows(tx.db, activityInsert, rows));
    },

    async listActivities(personId, page) {
      checkLimit(page.limit);
      if (!isPlausibleKey(personId)) return { items: [], nextCursor: null };
      let select = ctx.db.selectFrom('activities').selectAll().where('person_id', '=', personId);
      if (page.cursor !== undefined) {
        const [at, id] = decodeCursor(page.cursor, 'activities', ['string', 'string']) as [string, string];
        select = select.where((eb) =>
          eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]),
        );
      }
      const rows = await select
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return toPage(
        rows,
        page.limit,
        (row) => ({
          id: row.id,
          personId: row.person_id,
          type: row.type,
          at: iso(row.at),
          attributes: json<Record<string, unknown>>(row.attributes),
        }),
        (row) => encodeCursor('activities', [iso(row.at), row.id]),
      );
    },
  };
}
