import { isCrmError } from '../../connectors/crm-error.ts';
import { fromCrmValue } from '../../domain/crm-attribute.ts';
import { sameValue } from '../../domain/merge.ts';
import type { EngineDeps } from '../engine-deps.ts';
import { applyFetchedRecords, type FetchScope } from '../apply/fetched-records.ts';
import type { PersonValue } from '../../domain/person.ts';
import type { PendingPush } from '../../store/outbox-store.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

/**
 * What re-reading a record after an ambiguous push told: `landed` — the CRM holds every pushed value (they are
 * the bases now; the push is settled like an accepted one, `record` brings the new ETag); `decided` — it holds
 * something else for at least one pushed field, and the merge decided again (push what is marked again);
 * `unknown` — the record could not be read (transient) and the mark stays for the next pass, whose `If-Match`
 * meets the landed version (412) if the push did land.
 */
export type LostAnswerResult =
  | { readonly kind: 'landed'; readonly record: CrmRecord }
  | { readonly kind: 'decided' }
  | { readonly kind: 'unknown' };

/**
 * Issue 13 item 6 (B4.1, B4.3, B6.2): a push whose outcome is `transient` with `mayHaveLanded` — the request
 * may have been executed but its answer was lost (a dropped connection, a time-out, a 5xx) — may be in the CRM
 * although the base still holds the value before it. Deciding again from that stale base would judge a CRM
 * edit made after the push landed as a collision and, for a lead, overwrite it. So the engine learns what
 * landed at once: it re-reads the record, and for every pushed field the CRM holds, the pushed value becomes
 * the base **before** the record is merged (`applyFetchedRecords`, the pass's rules): the push and anything
 * the CRM changed afterwards are then one-side changes. A pushed field the CRM holds differently stays on its
 * old base: whether the CRM edit came before the push (which was then refused) or after it cannot be known,
 * so the collision rule picks (B4.3), and logs the loser once.
 */
export async function learnWhatLanded(
  deps: Pick<EngineDeps, 'store' | 'crm' | 'latency'>,
  scope: FetchScope,
  pending: PendingPush,
  pushed: Readonly<Record<string, PersonValue>>,
): Promise<LostAnswerResult> {
  const { entity, crmId } = pending;
  const plan = scope.plans.get(entity);
  if (plan === undefined) return { kind: 'unknown' };
  let record: CrmRecord | undefined;
  try {
    record = await deps.crm.retrieve(entity, crmId, plan.select);
  } catch (error) {
    if (isCrmError(error) && error.errorClass === 'transient') return { kind: 'unknown' };
    throw error;
  }
  if (record === undefined) {
    await applyFetchedRecords(deps, scope, { entity, records: [], missing: [crmId] });
    return { kind: 'decided' };
  }
  const held: Record<string, PersonValue> = {};
  for (const [attribute, value] of Object.entries(pushed)) {
    const mapping = plan.mappings.find((candidate) => candidate.attribute.logicalName === attribute);
    if (
      mapping !== undefined &&
      sameValue(fromCrmValue(mapping.attribute, record.values[attribute]), value)
    ) {
      held[attribute] = value;
    }
  }
  if (Object.keys(held).length > 0) await deps.store.setBases(entity, crmId, held);
  await applyFetchedRecords(deps, scope, { entity, records: [record], missing: [] });
  return Object.keys(held).length === Object.keys(pushed).length
    ? { kind: 'landed', record }
    : { kind: 'decided' };
}
