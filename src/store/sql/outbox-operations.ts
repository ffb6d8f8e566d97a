import type { Selectable } from 'kysely';
import { SynclineError } from '../../errors/syncline-error.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { iso, isPlausibleKey, nowIso, num } from './row-values.ts';
import type { PendingPushesTable } from './schema.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { LinkedEntity } from '../link-store.ts';
import type { OutboxStore, PendingPush } from '../outbox-store.ts';

/** The pending-push outbox (B2.4, B4.2). */
export function outboxOperations(
  ctx: StoreContext,
): Pick<
  OutboxStore,
  | 'markPendingPush'
  | 'getPendingPush'
  | 'listPendingPushes'
  | 'clearPendingPush'
  | 'settlePushes'
  | 'pendingPushSummary'
> {
  const getPendingPush = async (entity: LinkedEntity, crmId: string) => {
    if (!isPlausibleKey(crmId)) return undefined;
    const row = await ctx.db
      .selectFrom('pending_pushes')
      .selectAll()
      .where('entity', '=', entity)
      .where('crm_id', '=', crmId)
      .executeTakeFirst();
    return row === undefined ? undefined : toPending(row);
  };

  return {
    async markPendingPush(entity, crmId, personId, fields) {
      if (
        (entity !== 'lead' && entity !== 'contact') ||
        !isPlausibleKey(crmId) ||
        !isPlausibleKey(personId)
      ) {
        throw new SynclineError('VALIDATION_FAILED', `Invalid pending push: ${entity} ${crmId}.`);
      }
      await atomically(ctx, async (tx) => {
        const now = nowIso();
        const existing = await tx.db
          .selectFrom('pending_pushes')
          .selectAll()
          .where('entity', '=', entity)
          .where('crm_id', '=', crmId)
          .executeTakeFirst();
        if (existing === undefined) {
          await tx.db
            .insertInto('pending_pushes')
            .values({
              entity,
              crm_id: crmId,
              person_id: personId,
              fields: fields === null ? null : JSON.stringify([...new Set(fields)]),
              generation: 1,
              since: now,
              updated_at: now,
            })
            .execute();
          return;
        }
        // null (every differing field) absorbs explicit lists; explicit lists are unioned.
        const merged =
          existing.fields === null || fields === null
            ? null
            : JSON.stringify([...new Set([...(JSON.parse(existing.fields) as string[]), ...fields])]);
        await tx.db
          .updateTable('pending_pushes')
          .set({
            person_id: personId,
            fields: merged,
            generation: num(existing.generation) + 1,
            updated_at: now,
          })
          .where('entity', '=', entity)
          .where('crm_id', '=', crmId)
          .execute();
      });
    },

    getPendingPush,

    async listPendingPushes(query) {
      checkLimit(query.limit);
      let select = ctx.db.selectFrom('pending_pushes').selectAll();
      if (query.entity !== undefined) select = select.where('entity', '=', query.entity);
      if (query.crmId !== undefined) select = select.where('crm_id', '=', query.crmId);
      if (query.cursor !== undefined) {
        const [since, entity, crmId] = decodeCursor(query.cursor, 'pending', [
          'string',
          'string',
          'string',
        ]) as [string, string, string];
        select = select.where((eb) =>
          eb.or([
            eb('since', '>', since),
            eb.and([eb('since', '=', since), eb('entity', '>', entity)]),
            eb.and([eb('since', '=', since), eb('entity', '=', entity), eb('crm_id', '>', crmId)]),
          ]),
        );
      }
      const rows = await select
        .orderBy('since')
        .orderBy('entity')
        .orderBy('crm_id')
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit, toPending, (row) =>
        encodeCursor('pending', [iso(row.since), row.entity, row.crm_id]),
      );
    },

    async clearPendingPush(entity, crmId, generation) {
      if (!isPlausibleKey(crmId)) return false;
      const result = await ctx.db
        .deleteFrom('pending_pushes')
        .where('entity', '=', entity)
        .where('crm_id', '=', crmId)
        .where('generation', '<=', generation)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async settlePushes(entity, items) {
      const plausible = items.filter((item) => isPlausibleKey(item.crmId));
      if (plausible.length === 0) return 0;
      return atomically(ctx, async (tx) => {
        const ids = plausible.map((item) => item.crmId);
        // A mark re-marked after its generation was read stays (as clearPendingPush): compare per record.
        const marks = await tx.db
          .selectFrom('pending_pushes')
          .select(['crm_id', 'generation'])
          .where('entity', '=', entity)
          .where('crm_id', 'in', ids)
          .execute();
        const readGeneration = new Map(plausible.map((item) => [item.crmId, item.generation]));
        const clear = marks
          .filter((mark) => num(mark.generation) <= (readGeneration.get(mark.crm_id) ?? -1))
          .map((mark) => mark.crm_id);
        if (clear.length > 0) {
          await tx.db
            .deleteFrom('pending_pushes')
            .where('entity', '=', entity)
            .where('crm_id', 'in', clear)
            .execute();
        }
        const resolve = plausible.filter((item) => item.resolveErrors).map((item) => item.crmId);
        if (resolve.length > 0) {
          await tx.db
            .updateTable('sync_errors')
            .set({ status: 'resolved' })
            .where('entity', '=', entity)
            .where('crm_id', 'in', resolve)
            .where('status', '!=', 'resolved')
            .execute();
        }
        return clear.length;
      });
    },

    async pendingPushSummary() {
      const rows = await ctx.db
        .selectFrom('pending_pushes')
        .select((eb) => [
          'entity',
          eb.fn.countAll<number | string>().as('pending'),
          eb.fn.min('since').as('oldest'),
        ])
        .groupBy('entity')
        .execute();
      return Object.fromEntries(
        rows.map((row) => [
          row.entity,
          {
            pending: num(row.pending),
            oldestPendingAt: row.oldest === null ? null : iso(row.oldest as string | Date),
          },
        ]),
      );
    },
  };
}

function toPending(row: Selectable<PendingPushesTable>): PendingPush {
  return {
    entity: row.entity as LinkedEntity,
    crmId: row.crm_id,
    personId: row.person_id,
    fields: row.fields === null ? null : (JSON.parse(row.fields) as string[]),
    generation: num(row.generation),
    since: iso(row.since),
  };
}
