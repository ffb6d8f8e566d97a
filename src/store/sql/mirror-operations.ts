import { SynclineError } from '../../errors/syncline-error.ts';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';
import { bool, hasNul, iso, isPlausibleKey, json, nowIso, num } from './row-values.ts';
import { lookupFor, toPerson } from './person-operations.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { MirrorRow, MirrorStore } from '../mirror-store.ts';

/** Dataverse logical names: lowercase letters, digits and `_`, starting with a letter. */
const entityPattern = /^[a-z][a-z0-9_]{0,127}$/;

function checkEntity(entity: string): void {
  if (typeof entity !== 'string' || !entityPattern.test(entity)) {
    throw new SynclineError('VALIDATION_FAILED', `Not a CRM entity logical name: ${String(entity)}.`, {
      details: { problems: [{ field: 'entity', message: 'must be a lowercase logical name' }] },
    });
  }
}

/** Read-only copies of one-way CRM entities (B1.2), opportunity contact roles (B1.3), persons of an account (B1.4). */
export function mirrorOperations(
  ctx: StoreContext,
): Pick<
  MirrorStore,
  | 'upsertMirrorRows'
  | 'getMirrorRow'
  | 'getMirrorRows'
  | 'listMirrorRows'
  | 'listMirrorEntities'
  | 'setOpportunityContactRoles'
  | 'listOpportunityContactRoles'
  | 'countPersonsOfAccount'
  | 'listPersonsOfAccount'
> {
  return {
    async upsertMirrorRows(rows) {
      for (const row of rows) {
        checkEntity(row.entity);
        if (!isPlausibleKey(row.id)) {
          throw new SynclineError('VALIDATION_FAILED', 'A mirror row needs an id.');
        }
        if (hasNul(row.attributes)) {
          throw new SynclineError(
            'VALIDATION_FAILED',
            `Mirror row ${row.entity}/${row.id} contains a NUL character.`,
          );
        }
      }
      if (rows.length === 0) return;
      const at = nowIso();
      const batch = ctx.backend.capabilities.maxBatchRows;
      await atomically(ctx, async (tx) => {
        for (let start = 0; start < rows.length; start += batch) {
          await tx.db
            .insertInto('crm_mirror')
            .values(
              rows.slice(start, start + batch).map((row) => ({
                entity: row.entity,
                id: row.id,
                attributes: JSON.stringify(row.attributes),
                deleted: row.deleted,
                updated_at: at,
              })),
            )
            .onConflict((conflict) =>
              conflict.columns(['entity', 'id']).doUpdateSet((eb) => ({
                attributes: eb.ref('excluded.attributes'),
                deleted: eb.ref('excluded.deleted'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .execute();
        }
      });
    },

    async getMirrorRow(entity, id) {
      if (!entityPattern.test(entity) || !isPlausibleKey(id)) return undefined;
      const row = await ctx.db
        .selectFrom('crm_mirror')
        .selectAll()
        .where('entity', '=', entity)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toMirrorRow(row);
    },

    async getMirrorRows(entity, ids) {
      const rows = new Map<string, MirrorRow>();
      if (!entityPattern.test(entity)) return rows;
      const wanted = [...new Set(ids.filter(isPlausibleKey))];
      for (let start = 0; start < wanted.length; start += 500) {
        const found = await ctx.db
          .selectFrom('crm_mirror')
          .selectAll()
          .where('entity', '=', entity)
          .where('id', 'in', wanted.slice(start, start + 500))
          .execute();
        for (const row of found) rows.set(row.id, toMirrorRow(row));
      }
      return rows;
    },

    async listMirrorRows(entity, page) {
      checkLimit(page.limit);
      checkEntity(entity);
      let select = ctx.db.selectFrom('crm_mirror').selectAll().where('entity', '=', entity);
      if (page.cursor !== undefined) {
        const [after] = decodeCursor(page.cursor, `crm:${entity}`, ['string']);
        select = select.where('id', '>', after as string);
      }
      const rows = await select
        .orderBy('id')
        .limit(page.limit + 1)
        .execute();
      return toPage(rows, page.limit, toMirrorRow, (row) => encodeCursor(`crm:${entity}`, [row.id]));
    },

    async listMirrorEntities() {
      const rows = await ctx.db
        .selectFrom('crm_mirror')
        .select('entity')
        .distinct()
        .orderBy('entity')
        .execute();
      return rows.map((row) => row.entity);
    },

    async setOpportunityContactRoles(opportunityId, roles) {
      const at = nowIso();
      await atomically(ctx, async (tx) => {
        await tx.db
          .deleteFrom('opportunity_contact_roles')
          .where('opportunity_id', '=', opportunityId)
          .execute();
        if (roles.length === 0) return;
        await tx.db
          .insertInto('opportunity_contact_roles')
          .values(
            roles.map((role) => ({
              opportunity_id: opportunityId,
              contact_id: role.contactId,
              person_id: role.personId,
              role: role.role,
              updated_at: at,
            })),
          )
          .execute();
      });
    },

    async listOpportunityContactRoles(query) {
      let select = ctx.db.selectFrom('opportunity_contact_roles').selectAll();
      if (query.personId !== undefined) select = select.where('person_id', '=', query.personId);
      if (query.opportunityId !== undefined)
        select = select.where('opportunity_id', '=', query.opportunityId);
      const rows = await select.orderBy('opportunity_id').orderBy('contact_id').execute();
      return rows.map((row) => ({
        opportunityId: row.opportunity_id,
        contactId: row.contact_id,
        personId: row.person_id,
        role: row.role,
        updatedAt: iso(row.updated_at),
      }));
    },

    async countPersonsOfAccount(accountId) {
      if (!isPlausibleKey(accountId)) return 0;
      const row = await ctx.db
        .selectFrom('persons')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('crm_account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return num(row.count);
    },

    async listPersonsOfAccount(accountId, page) {
      checkLimit(page.limit);
      if (!isPlausibleKey(accountId)) return { items: [], nextCursor: null };
      let select = ctx.db.selectFrom('persons').selectAll().where('crm_account_id', '=', accountId);
      if (page.cursor !== undefined) {
        const [id] = decodeCursor(page.cursor, 'account-persons', ['string']) as [string];
        select = select.where('id', '>', id);
      }
      const rows = await select
        .orderBy('id')
        .limit(page.limit + 1)
        .execute();
      const lookup = await lookupFor(ctx, []);
      return toPage(
        rows,
        page.limit,
        (row) => toPerson(row, lookup),
        (row) => encodeCursor('account-persons', [row.id]),
      );
    },
  };
}

function toMirrorRow(row: {
  entity: string;
  id: string;
  attributes: unknown;
  deleted: boolean | number;
  updated_at: string | Date;
}) {
  return {
    entity: row.entity,
    id: row.id,
    attributes: json<Record<string, unknown>>(row.attributes),
    deleted: bool(row.deleted),
    updatedAt: iso(row.updated_at),
  };
}
