import type { Kysely } from 'kysely';
import type { PersonFieldType } from '../../domain/person-fields.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { builtInPersonFields } from './person-field-catalog.ts';
import { personFieldNamePattern } from './person-validation.ts';
import { json, nowIso } from './row-values.ts';
import type { Database } from './schema.ts';
import { atomically, type StoreContext } from './store-context.ts';
import type { PersonField, PersonStore } from '../person-store.ts';

const fieldTypes: readonly PersonFieldType[] = ['string', 'integer', 'number', 'boolean', 'datetime', 'date'];

/** Custom person fields (B5.2 CRM-derived, or marketing-only through the API), in creation order. */
export async function listCustomFields(db: Kysely<Database>): Promise<PersonField[]> {
  const rows = await db
    .selectFrom('person_fields')
    .selectAll()
    .orderBy('created_at')
    .orderBy('name')
    .execute();
  return rows.map((row) => ({
    name: row.name,
    type: row.type as PersonFieldType,
    source: row.source as 'crm' | 'marketing',
    crm: json<PersonField['crm']>(row.crm),
    readOnly: false,
  }));
}

export function personFieldOperations(
  ctx: StoreContext,
): Pick<PersonStore, 'listPersonFields' | 'addPersonField'> {
  return {
    async listPersonFields() {
      const custom = await listCustomFields(ctx.db);
      return [...builtInPersonFields, ...custom];
    },

    async addPersonField(field) {
      const problems = [
        ...(typeof field.name === 'string' && personFieldNamePattern.test(field.name)
          ? []
          : [
              {
                field: 'name',
                message: 'must start with a letter and contain only letters, digits or _ (≤ 100)',
              },
            ]),
        ...(fieldTypes.includes(field.type)
          ? []
          : [{ field: 'type', message: `must be one of ${fieldTypes.join(', ')}` }]),
        ...(field.source === 'crm' || field.source === 'marketing'
          ? []
          : [{ field: 'source', message: "must be 'crm' or 'marketing'" }]),
      ];
      if (problems.length > 0) {
        throw new SynclineError(
          'VALIDATION_FAILED',
          `Invalid person field: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
          { details: { problems } },
        );
      }
      const taken = () =>
        new SynclineError('CONFLICT', `A person field named ${field.name} already exists.`, {
          details: { name: field.name },
        });
      const created: PersonField = {
        name: field.name,
        type: field.type,
        source: field.source,
        crm: { ...field.crm },
        readOnly: false,
      };
      // Names are unique case-insensitively (`Email` next to `email` would be a trap in every client); the
      // lock makes check-then-insert atomic across concurrent callers.
      const lower = field.name.toLowerCase();
      await atomically(ctx, async (tx) => {
        await tx.backend.lockKey(tx.db, 'person-fields');
        const existing = [...builtInPersonFields, ...(await listCustomFields(tx.db))];
        if (existing.some((other) => other.name.toLowerCase() === lower)) throw taken();
        await tx.db
          .insertInto('person_fields')
          .values({
            name: created.name,
            type: created.type,
            source: created.source,
            crm: JSON.stringify(created.crm),
            created_at: nowIso(),
          })
          .execute();
      });
      if (!ctx.inTransaction) ctx.fields.forget();
      return created;
    },
  };
}
