import type { Store } from '../../store/store.ts';
import type { EngineDeps } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import { readSweepState } from './delete-sweep.ts';

/**
 * B5.5: a backfill fills new fields from one CRM read, but a CRM edit of such a field made after the backfill
 * read the record is seen by no one — passes do not read a field while it backfills, so the entity's change
 * cursor moves past the edit, and the backfill wrote the older value as the base. So:
 * 1. before reading, the backfill keeps the entity's change cursor of that moment (`since`, in the job);
 * 2. when it switches its fields to `synced`, it owes the entity a **rewind** to that cursor (this state, in
 *    the same transaction);
 * 3. the first pass whose plan reads those fields moves the entity's change cursor back to `since` before its
 *    read. Re-reading changes since then is idempotent (a change read carries current values, merged against
 *    the bases, B4), and now carries the new fields: an edit made during the backfill reaches the person.
 * A pass whose plan was built before the switch must not take the rewind: its read would still skip the field
 * and move the cursor past the edit again. Passes never overlap (B2.1), so the next one is a safe taker.
 */
export const rewindCursorName = (entity: string) => `crm-rewind:${entity}`;

interface Rewind {
  readonly v: 1;
  /** The change cursor to go back to; null: none existed, the entity is read from the start. */
  readonly since: string | null;
  /** The backfilled attributes the rewinding read must include. */
  readonly attributes: readonly string[];
}

async function readRewind(store: Store, entity: string): Promise<Rewind | undefined> {
  const text = await store.getCursor(rewindCursorName(entity));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Rewind;
    return parsed.v === 1 ? parsed : { v: 1, since: null, attributes: [] };
  } catch {
    // Unreadable: rewinding to the start is always correct (only costlier).
    return { v: 1, since: null, attributes: [] };
  }
}

/** The change cursor a backfill starting now must be able to go back to (kept in the job's `position`). */
export async function backfillStartPosition(store: Store, cursorName: string): Promise<string> {
  return JSON.stringify({ since: (await store.getCursor(cursorName)) ?? null });
}

function sinceOf(position: string | null): string | null {
  if (position === null) return null;
  try {
    const parsed = JSON.parse(position) as { since?: unknown };
    return typeof parsed.since === 'string' ? parsed.since : null;
  } catch {
    return null;
  }
}

/**
 * Owes the entity a rewind to where the backfill (`position` from `backfillStartPosition`) began; call in the
 * transaction that switches the backfilled fields to `synced`. An owed rewind not taken yet is older (backfills
 * of an entity run one after another, each started after the one before finished), so it is kept and the
 * attributes are added to it.
 */
export async function oweRewind(
  tx: Store,
  entity: string,
  position: string | null,
  attributes: readonly string[],
): Promise<void> {
  const owed = await readRewind(tx, entity);
  const rewind: Rewind =
    owed === undefined
      ? { v: 1, since: sinceOf(position), attributes: [...attributes] }
      : { ...owed, attributes: [...new Set([...owed.attributes, ...attributes])] };
  await tx.setCursor(rewindCursorName(entity), JSON.stringify(rewind));
}

/**
 * Takes the entity's owed rewind when `plan` reads every attribute of it that is still selected and synced:
 * the change cursor goes back to where the backfill began, in one transaction with forgetting the rewind. A
 * reconcile in progress (B2.5) restarts its full read instead: its pages applied so far skipped the fields.
 */
export async function takeRewind(deps: EngineDeps, plan: EntityPlan, cursorName: string): Promise<boolean> {
  const entity = plan.entity.name;
  const rewind = await readRewind(deps.store, entity);
  if (rewind === undefined) return false;
  const fields = await deps.store.listSyncFields(entity);
  const stale = rewind.attributes.some(
    (attribute) =>
      !plan.select.includes(attribute) &&
      fields.some((field) => field.attribute === attribute && field.selected && field.state === 'synced'),
  );
  if (stale) return false;
  const reconciling = (await readSweepState(deps.store, entity))?.pending === 'reconcile';
  await deps.store.withTransaction(async (tx) => {
    if (rewind.since === null || reconciling) await tx.deleteCursor(cursorName);
    else await tx.setCursor(cursorName, rewind.since);
    await tx.deleteCursor(rewindCursorName(entity));
  });
  deps.logger.info({ entity, attributes: rewind.attributes }, 'reading changes again since a backfill began');
  return true;
}
