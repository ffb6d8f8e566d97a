import { toCrmValue } from '../../domain/crm-attribute.ts';
import { companyFieldNames } from '../../domain/person-fields.ts';
import type { Store } from '../../store/store.ts';
import type { EngineDeps } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
import type { PersonValue } from '../../domain/person.ts';
import type { PersonChange } from '../../store/person-store.ts';

export const marketingCursorName = 'marketing:persons';
/**
 * Rows scanned per read, the store's most: the sync's own rows are skipped in SQL (nothing is built for them),
 * so after a 100,000-contact load the scan is ten reads rather than a hundred (S3 on PostgreSQL: 275 → 135 ms).
 */
const feedPageSize = 10_000;
/** Changes marked per transaction: a page of marketing changes is committed in parts of this many. */
const markChunkSize = 1000;
/**
 * The account plan for company edits (B1.4), asked only when a change holds one: a pass takes its metadata
 * check first (`fields/metadata-check.ts`), since the edit's values are turned into the account's.
 */
export type AccountPlan = () => Promise<EntityPlan | undefined>;

/**
 * Follows the marketing change feed from its cursor to its end: every person changed by anyone but the sync
 * itself (B4.4) gets its linked record marked for pushing; the marks and the advanced cursor commit together,
 * so a crash never loses a change (B2.4). The push itself happens afterwards (`crm-pusher.ts`).
 */
export async function collectMarketingChanges(
  deps: EngineDeps,
  context: PassContext,
  accountPlan: AccountPlan,
  signal?: AbortSignal,
): Promise<void> {
  while (!signal?.aborted && (await collectMarketingPage(deps, context, accountPlan, signal))) {
    // One feed read per round, until the feed's end.
  }
}

/**
 * One read of the feed (up to `feedPageSize` rows scanned), its marks committed with the cursor. Answers whether
 * the read found more of the feed, so a caller with time to spare (the pull waiting for a page) can take a step.
 */
export async function collectMarketingPage(
  deps: EngineDeps,
  context: PassContext,
  accountPlan: AccountPlan,
  signal?: AbortSignal,
): Promise<boolean> {
  const cursor = await deps.store.getCursor(marketingCursorName);
  // The sync's own writes are skipped in the store (B4.4): after a large CRM load they are nearly all the feed.
  const page = await deps.store.readPersonChanges(cursor, feedPageSize, { exceptOrigin: 'sync' });
  // The feed's end: nothing scanned, nothing to commit.
  if (page.nextCursor === null || page.nextCursor === cursor) return false;
  // Each part commits its marks with the cursor after its last change (the last part: after the page, past
  // the skipped rows), so a transaction stays as short as with 1,000-row pages.
  for (let start = 0; start === 0 || start < page.items.length; start += markChunkSize) {
    if (signal?.aborted) return false;
    const part = page.items.slice(start, start + markChunkSize);
    const last = start + markChunkSize >= page.items.length;
    const partCursor = last ? page.nextCursor : part[part.length - 1].cursor;
    const changes = part.filter((change) => change.kind !== 'delete');
    // Asked before the transaction: the plan may need the CRM (and the store) for its metadata check.
    const companyEdit = changes.some((change) => change.fields.some((f) => companyFieldNames.includes(f)));
    const plan = companyEdit ? await accountPlan() : undefined;
    await deps.store.withTransaction(async (tx) => {
      await markChanges(tx, deps, context, plan, changes);
      await tx.setCursor(marketingCursorName, partCursor);
    });
    context.count('marketing.changes', changes.length);
  }
  // A page holds fewer items than it scanned rows, so the feed ends only where the cursor stops moving.
  return true;
}

/** Marks the linked records of the changed persons for pushing (and applies company edits), in `tx`. */
async function markChanges(
  tx: Store,
  deps: EngineDeps,
  context: PassContext,
  accountPlan: EntityPlan | undefined,
  changes: readonly PersonChange[],
) {
  const seen = new Set<string>();
  for (const change of changes) {
    if (seen.has(change.personId)) continue;
    seen.add(change.personId);
    for (const link of await tx.listLinksOfPerson(change.personId)) {
      if (link.state !== 'active') continue;
      await tx.markPendingPush(link.entity, link.crmId, link.personId, null);
      // B2.8 `toCrm` latency starts at the change's commit (the page is in feed order: earliest first).
      deps.latency?.marketingChangePending(link.entity, link.crmId, Date.parse(change.at));
    }
    if (change.fields.some((field) => companyFieldNames.includes(field))) {
      await applyCompanyEdit(tx, context, accountPlan, change.personId);
    }
  }
}

/**
 * B1.4: a marketing edit of a company field of a contact's person changes the account's mirror row and every
 * person of that account — and is never pushed; the next CRM change of the account overwrites it.
 */
async function applyCompanyEdit(
  tx: Store,
  context: PassContext,
  accountPlan: EntityPlan | undefined,
  personId: string,
) {
  const person = await tx.getPerson(personId);
  const accountId = person?.fields.crmAccountId;
  if (
    person === undefined ||
    person.fields.crmType !== 'contact' ||
    typeof accountId !== 'string' ||
    !accountPlan
  )
    return;
  const account = await tx.getMirrorRow('account', accountId);
  if (account === undefined || account.deleted) return;
  const attributes: Record<string, unknown> = { ...account.attributes };
  const personValues: Record<string, PersonValue> = {};
  for (const mapping of accountPlan.mappings) {
    const field = mapping.personField;
    if (field === undefined || !(field in person.fields)) continue;
    const raw = toCrmValue(mapping.attribute, person.fields[field] ?? null);
    if (!raw.ok) continue;
    attributes[mapping.attribute.logicalName] = raw.value;
    personValues[field] = person.fields[field] ?? null;
  }
  await tx.upsertMirrorRows([{ entity: 'account', id: accountId, attributes, deleted: false }]);
  context.forgetMirrorRow('account', accountId);
  let cursor: string | undefined;
  do {
    const page = await tx.listPersonsOfAccount(accountId, { limit: 500, cursor });
    for (const other of page.items) {
      if (other.id === personId) continue;
      const changed = Object.fromEntries(
        Object.entries(personValues).filter(([field, value]) => (other.fields[field] ?? null) !== value),
      );
      // Origin `sync`: the fan-out is not itself a marketing change to push or fan out again.
      if (Object.keys(changed).length > 0) await tx.updatePerson(other.id, changed, 'sync');
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
