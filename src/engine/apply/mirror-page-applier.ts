import { passesSyncFilter } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
import type { RecordBatch } from './record-batch.ts';
import { companyFieldsOf } from './system-fields.ts';
import { isLookupValue, type CrmValue } from '../../domain/crm-record.ts';
import type { PersonValue } from '../../domain/person.ts';

export interface MirrorPageInput {
  readonly plan: EntityPlan;
  readonly batch: RecordBatch;
  readonly context: PassContext;
  /** Accounts with more contacts than this update persons without per-person activities (B1.4). */
  readonly accountActivityLimit: number;
}

/**
 * Applies one page of a one-way entity (B1.2) inside the caller's transaction: mirror rows with the selected
 * attributes and lookups, tombstones for deletes (B3.6), company fields of the account's persons (B1.4), and
 * opportunity contact roles (B1.3). Nothing is ever written to the CRM for these entities.
 */
export async function applyMirrorPage(tx: Store, input: MirrorPageInput): Promise<void> {
  const { plan, batch, context } = input;
  const entity = plan.entity.name;
  const rows = batch.upserts
    .filter((record) => passesSyncFilter(record.values))
    .map((record) => ({
      entity,
      id: record.id,
      attributes: mirrorAttributes(plan, record.values),
      deleted: false,
    }));
  const tombstones = [];
  for (const id of batch.deletes) {
    const existing = await tx.getMirrorRow(entity, id);
    if (existing !== undefined && !existing.deleted) {
      tombstones.push({ entity, id, attributes: { ...existing.attributes }, deleted: true });
    }
  }
  await tx.upsertMirrorRows([...rows, ...tombstones]);
  for (const row of [...rows, ...tombstones]) context.forgetMirrorRow(entity, row.id);
  context.count(`${entity}.fromCrm.updated`, rows.length);
  context.count(`${entity}.fromCrm.deleted`, tombstones.length);

  if (entity === 'account') {
    for (const row of rows) await fanOutCompanyFields(tx, input, row.id, row.attributes);
  }
  if (entity === 'opportunity') {
    for (const row of rows) await linkOpportunity(tx, row.id, row.attributes.customerid);
  }
}

/** Mirror attributes: selected values as the CRM holds them, lookups as `{id, entity}` (B1.3). */
function mirrorAttributes(
  plan: EntityPlan,
  values: Readonly<Record<string, CrmValue>>,
): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const mapping of plan.mappings) {
    const name = mapping.attribute.logicalName;
    if (name in values) attributes[name] = values[name];
  }
  for (const name of [...plan.lookups, ...plan.select]) {
    if (name in values && !(name in attributes)) attributes[name] = values[name];
  }
  return attributes;
}

/**
 * B1.4: an account change gives every person of the account its company fields; for an account with more than
 * `accountActivityLimit` contacts no per-person activity is written.
 */
async function fanOutCompanyFields(
  tx: Store,
  input: MirrorPageInput,
  accountId: string,
  attributes: Record<string, unknown>,
): Promise<void> {
  const fields = companyFieldsOf(input.plan, attributes);
  if (Object.keys(fields).length === 0) return;
  const total = await tx.countPersonsOfAccount(accountId);
  const withActivities = total <= input.accountActivityLimit;
  let cursor: string | undefined;
  do {
    const page = await tx.listPersonsOfAccount(accountId, { limit: 500, cursor });
    for (const person of page.items) {
      const changed: Record<string, PersonValue> = {};
      for (const [field, value] of Object.entries(fields)) {
        if ((person.fields[field] ?? null) !== value) changed[field] = value;
      }
      if (Object.keys(changed).length === 0) continue;
      await tx.updatePerson(person.id, changed, 'sync');
      if (withActivities) {
        for (const [field, value] of Object.entries(changed)) {
          await tx.appendActivity(person.id, 'data-value-changed', {
            field,
            oldValue: person.fields[field] ?? null,
            newValue: value,
            source: 'crm',
          });
        }
      }
      input.context.count('account.fromCrm.personsUpdated');
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** B1.3: a contact customer makes an opportunity contact role for its person; an account customer links none. */
async function linkOpportunity(tx: Store, opportunityId: string, customer: unknown): Promise<void> {
  if (!isLookupValue(customer) || customer.entity !== 'contact') {
    await tx.setOpportunityContactRoles(opportunityId, []);
    return;
  }
  const link = await tx.getLink('contact', customer.id);
  await tx.setOpportunityContactRoles(opportunityId, [
    { contactId: customer.id, personId: link?.personId ?? null, role: null },
  ]);
}
