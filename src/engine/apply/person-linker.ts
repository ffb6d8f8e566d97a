import { SynclineError } from '../../errors/syncline-error.ts';
import type { Store } from '../../store/store.ts';
import type { LinkedEntity } from '../../store/link-store.ts';
import type { EngineDeps } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import { PassContext } from '../run/pass-context.ts';
import { resolveOwner, type ResolvedOwner } from './owner-resolver.ts';
import { mergeRecord } from './person-record-merge.ts';
import { immediateWrites } from './person-writes.ts';
import type { ApplyScope, FirstLinkRule, KnownOwner } from './record-context.ts';
import { systemFieldsOf } from './system-fields.ts';
import { isLookupValue, type CrmRecord } from '../../domain/crm-record.ts';
import type { Person } from '../../domain/person.ts';

/** A first link inside the caller's transaction (B3.2). */
export interface FirstLink extends ApplyScope {
  readonly tx: Store;
  readonly record: CrmRecord;
  readonly person: Person;
  readonly rule: FirstLinkRule;
  /** The person was the lead's, qualified into this contact (B3.4): see RecordContext `qualified`. */
  readonly qualified?: boolean;
  readonly owner?: KnownOwner;
}

/**
 * The one first-link merge (B3.2): links the person to the record and merges them without bases — a field
 * empty on one side takes the other side's value, a field set differently on both follows `rule` — writing at
 * once (the caller's transaction sees it). The bases start from the CRM's values; values to push are marked
 * pending. Used by the pass (a single marketing-only email match, a qualified lead's person re-linked to its
 * contact, B3.4 — `qualified`: the contact's state and status are taken, the lead's labels never pushed) and by
 * flow actions (`linkPersonToRecord`). Returns the attributes marked to push.
 */
export function linkFirst(first: FirstLink): Promise<string[]> {
  const { record, person } = first;
  const entity = first.plan.entity.name as LinkedEntity;
  return mergeRecord({
    ...first,
    link: { entity, crmId: record.id, personId: person.id, state: 'active', etag: null, version: null },
    bases: new Map(),
    writes: immediateWrites(first.tx),
    firstLink: first.rule,
  });
}

export interface LinkRequest {
  readonly person: Person;
  readonly plan: EntityPlan;
  /** The record as just read from the CRM (values of `plan.select`, with its ETag). */
  readonly record: CrmRecord;
  /** The owner the caller set, so its name need not be looked up again. */
  readonly owner?: ResolvedOwner;
  /** A link the new one replaces: the lead a contact was qualified from (B3.4). */
  readonly supersedes?: { readonly entity: LinkedEntity; readonly crmId: string };
  /** Attributes of the `crm.pushed` activity (B6.4); none when the link is an intermediate step. */
  readonly pushedActivity?: Record<string, unknown>;
  /** More writes that must commit with the link. */
  readonly alsoInTransaction?: (tx: Store) => Promise<void>;
}

/**
 * Links a person to the record a flow action created (B7.1), as a pass links on first sight (B3.2) but with
 * the person's values first (`person-first`): the bases are the record's values as the CRM stored them; a
 * person field that is blank takes the CRM's value; a person value the CRM lacks or holds differently is marked
 * pending and returned so the caller pushes it. The system fields (crmType, ids, owner) commit in the same
 * transaction with origin `sync` like every CRM-derived value, so neither the engine nor a campaign mistakes
 * them for a marketing edit. The owner's name is looked up before the transaction when the mirror lacks it
 * (sync disabled, first pass not run), so no CRM request runs inside it.
 *
 * Returns the attributes still to push.
 */
export async function linkPersonToRecord(
  deps: Pick<EngineDeps, 'store' | 'crm'>,
  request: LinkRequest,
): Promise<string[]> {
  const { person, plan, record } = request;
  const context = new PassContext();
  const owner = await ownerNames(deps, context, plan, record, request.owner);
  const entity = plan.entity.name as LinkedEntity;
  return deps.store.withTransaction(async (tx) => {
    // First in the lock order: a page applying this record now finishes before the link is read, or waits for
    // this link (B3.2, B7.2), so both never see it unlinked and link it to two persons.
    await tx.lockLinksOf([
      record.id,
      ...(request.supersedes === undefined ? [] : [request.supersedes.crmId]),
    ]);
    // A pass may have met the record before this link (the flow's create landed, then the flow was slow,
    // interrupted or retried) and made a person of its own for it. Re-pointing the link would leave that
    // person behind, linked to nothing: fold it into this person instead (B3.2, B7.2; issue 13).
    for (const target of [{ entity, crmId: record.id }, request.supersedes]) {
      if (target === undefined) continue;
      const other = await tx.getLink(target.entity, target.crmId);
      if (other !== undefined && other.personId !== person.id && other.state !== 'deleted') {
        const loser = await tx.resolvePersonId(other.personId);
        if (loser !== undefined && loser !== person.id) await tx.mergePersonInto(loser, person.id, 'flow');
      }
    }
    if (request.supersedes !== undefined) {
      await tx.upsertLink({
        ...request.supersedes,
        personId: person.id,
        state: 'superseded',
        etag: null,
        version: null,
      });
    }
    const scope = { plan, accountPlan: undefined, context };
    // A contact replacing its lead (B3.4, B7.1 `syncAs: contact`) takes the contact's state and status.
    const qualified = request.supersedes?.entity === 'lead';
    // The merge decides from the person as this transaction holds it, not as the flow read it (B4.7).
    const [current] = await tx.getPersonsForUpdate([person.id]);
    if (current === undefined) {
      throw new SynclineError('NOT_FOUND', `Person ${person.id} was deleted while it was being synced.`, {
        details: { personId: person.id },
      });
    }
    const push = await linkFirst({
      ...scope,
      tx,
      record,
      person: current,
      rule: 'person-first',
      qualified,
      owner,
    });
    if (request.pushedActivity !== undefined)
      await tx.appendActivity(person.id, 'crm.pushed', request.pushedActivity);
    await request.alsoInTransaction?.(tx);
    return push;
  });
}

/** Owner name and email (B1.5) when the mirror does not have them yet; undefined when it does or none is known. */
async function ownerNames(
  deps: Pick<EngineDeps, 'store' | 'crm'>,
  context: PassContext,
  plan: EntityPlan,
  record: CrmRecord,
  known: ResolvedOwner | undefined,
): Promise<KnownOwner | undefined> {
  const owner = record.values.ownerid;
  // Reads the owner's mirror row into `context`, so the merge does not read it again.
  const system = await systemFieldsOf(deps.store, context, plan, record);
  if (!isLookupValue(owner) || system.crmOwnerName !== null) return undefined;
  const id = owner.id.toLowerCase();
  return known?.id === id ? known : await resolveOwner(deps, id).catch(() => undefined);
}
