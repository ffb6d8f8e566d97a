import { fromCrmValue } from '../domain/crm-attribute.ts';
import { sameValue } from '../domain/merge.ts';
import type { EngineDeps } from '../engine/engine-deps.ts';
import type { EntityPlan } from '../engine/fields/entity-plan.ts';
import { PassContext } from '../engine/run/pass-context.ts';
import { systemFieldsOf } from '../engine/apply/system-fields.ts';
import type { Store } from '../store/store.ts';
import { resolveOwner, type ResolvedOwner } from './owner-resolver.ts';
import { isLookupValue, type CrmRecord } from '../domain/crm-record.ts';
import type { Person, PersonValue } from '../domain/person.ts';
import type { LinkedEntity } from '../store/link-store.ts';

export interface LinkInput {
  readonly person: Person;
  readonly plan: EntityPlan;
  /** The record as just read from the CRM (values of `plan.select`, with its ETag). */
  readonly record: CrmRecord;
  /** The owner the action set, so its name need not be looked up again. */
  readonly owner?: ResolvedOwner;
  /** A link the new one replaces: the lead a contact was qualified from (B3.4). */
  readonly supersedes?: { readonly entity: LinkedEntity; readonly crmId: string };
  /** Attributes of the `crm.pushed` activity (B6.4); none when the link is an intermediate step. */
  readonly pushedActivity?: Record<string, unknown>;
  /** More writes that must commit with the link. */
  readonly alsoInTransaction?: (tx: Store) => Promise<void>;
}

/**
 * Links a person to the record a flow action created (B7.1), as a pass would link it on first sight (B3.2):
 * the bases are the record's values as the CRM stored them; a person field that is blank takes the CRM's value;
 * a person value the CRM lacks or holds differently is returned (and marked pending) so the caller pushes it —
 * the flow action exists to put the person's values into the CRM. The system fields (crmType, ids, owner)
 * commit in the same transaction, written with origin `sync` like every CRM-derived value, so neither the
 * engine nor a campaign mistakes them for a marketing edit.
 *
 * Returns the attributes still to push.
 */
export async function linkPersonToRecord(
  deps: Pick<EngineDeps, 'store' | 'crm'>,
  input: LinkInput,
): Promise<string[]> {
  const { store } = deps;
  const { person, plan, record } = input;
  const entity = plan.entity.name as LinkedEntity;
  const system = await systemFieldsOf(store, new PassContext(), plan, record);
  await fillOwnerFields(deps, system, record, input.owner);
  if (input.supersedes?.entity === 'lead') system.crmLeadId = input.supersedes.crmId;

  const bases: Record<string, PersonValue> = {};
  const fills: Record<string, PersonValue> = {};
  const push: string[] = [];
  for (const mapping of plan.mappings) {
    const field = mapping.personField;
    if (field === undefined) continue;
    const attribute = mapping.attribute.logicalName;
    const crm = fromCrmValue(mapping.attribute, record.values[attribute]);
    const mine = person.fields[field] ?? null;
    bases[attribute] = crm;
    if (sameValue(mine, crm)) continue;
    if (isBlank(mine) || mapping.policy === 'crm-to-marketing') {
      if (!isBlank(crm)) fills[field] = crm;
    } else {
      push.push(attribute);
    }
  }

  await store.withTransaction(async (tx) => {
    await tx.upsertLink({
      entity,
      crmId: record.id,
      personId: person.id,
      state: 'active',
      etag: record.etag ?? null,
      version: null,
    });
    if (input.supersedes !== undefined) {
      await tx.upsertLink({
        ...input.supersedes,
        personId: person.id,
        state: 'superseded',
        etag: null,
        version: null,
      });
    }
    await tx.setBases(entity, record.id, bases);
    await tx.updatePerson(person.id, { ...fills, ...system }, 'sync');
    if (push.length > 0) await tx.markPendingPush(entity, record.id, person.id, push);
    if (input.pushedActivity !== undefined)
      await tx.appendActivity(person.id, 'crm.pushed', input.pushedActivity);
    await input.alsoInTransaction?.(tx);
  });
  return push;
}

/** Owner name and email (B1.5) when the mirror does not have them yet (sync disabled, first pass not run). */
async function fillOwnerFields(
  deps: Pick<EngineDeps, 'store' | 'crm'>,
  system: Record<string, PersonValue>,
  record: CrmRecord,
  known: ResolvedOwner | undefined,
): Promise<void> {
  const owner = record.values.ownerid;
  if (!isLookupValue(owner) || system.crmOwnerName !== null) return;
  const id = owner.id.toLowerCase();
  const resolved = known?.id === id ? known : await resolveOwner(deps, id).catch(() => undefined);
  if (resolved === undefined) return;
  system.crmOwnerName = resolved.name;
  system.crmOwnerEmail = resolved.email;
}

function isBlank(value: PersonValue): boolean {
  return value === null || value === '';
}
