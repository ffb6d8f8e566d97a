import { isPersonEntity } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import { applyRecordBatch, type BatchScope } from '../apply/record-batch.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';

/**
 * The delete sweep: the store's links (or mirror rows) of an entity are checked against the CRM, a chunk at a
 * time, and those whose record is gone are applied as deletes (B3.6: the person is flagged `crmIsDeleted`, a
 * mirror row tombstoned). Two readers owe one, because their feed carries no deletes:
 * - a **reconcile** (B2.5): after an expired token the entity is read again from the start, which shows what
 *   exists but not what vanished while the token was expired;
 * - an entity **without change tracking** (B2.3): its `modifiedon` watermark only ever sees rows that still
 *   exist, so nothing else would ever notice a delete. It is swept periodically (`deleteSweepSeconds`).
 *
 * The sweep owed is durable state, not a flag in memory: a crash, a disable (B8.1) or a pass failure between
 * the start of a reconcile and the end of its sweep resumes with the sweep still owed. The state is a named
 * position in the `CursorStore` (`crm-sweep:<entity>`, JSON), written in the same transaction as what it
 * describes: the reset of the entity's change cursor when a reconcile starts (B2.4), each chunk's deletes with
 * the position after the chunk, the end of the sweep. A sweep redone after a crash re-checks at most a chunk.
 */
export const sweepCursorName = (entity: string) => `crm-sweep:${entity}`;

/** Store rows (links or mirror rows) checked per CRM question; `existingIds` splits it into URL-sized asks. */
const sweepChunk = 500;

export interface SweepState {
  readonly v: 1;
  /** The sweep owed: after a reconcile's full read, or a periodic one of an untracked entity; null: none. */
  readonly pending: 'reconcile' | 'periodic' | null;
  /** The store's page cursor of the next chunk to check (null: from the first link). */
  readonly position: string | null;
  /** When the owed sweep (or the reconcile that owes it) started. */
  readonly startedAt: string | null;
  /** When the last sweep finished (null: never). */
  readonly sweptAt: string | null;
}

const idle: SweepState = { v: 1, pending: null, position: null, startedAt: null, sweptAt: null };

/** The entity's sweep state; undefined when none was ever written (or it is unreadable). */
export async function readSweepState(store: Store, entity: string): Promise<SweepState | undefined> {
  const text = await store.getCursor(sweepCursorName(entity));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<SweepState>;
    if (parsed.v !== 1) return undefined;
    return { ...idle, ...parsed };
  } catch {
    return undefined;
  }
}

function writeSweepState(tx: Store, entity: string, state: SweepState): Promise<void> {
  return tx.setCursor(sweepCursorName(entity), JSON.stringify(state));
}

/**
 * B2.5: the token expired — forget the change cursor (the next read starts over) and owe a sweep at the end of
 * that read, in one transaction, so no instant exists where the read restarted but the sweep is not owed.
 */
export async function beginReconcile(deps: EngineDeps, entity: string, cursorName: string): Promise<void> {
  const previous = await readSweepState(deps.store, entity);
  await deps.store.withTransaction(async (tx) => {
    await tx.deleteCursor(cursorName);
    await writeSweepState(tx, entity, {
      ...(previous ?? idle),
      pending: 'reconcile',
      position: null,
      startedAt: deps.now().toISOString(),
    });
  });
}

export interface SweepInput extends BatchScope {
  readonly signal?: AbortSignal;
}

/**
 * Runs the sweep owed by `state` (from its saved position) to its end. Memory is bounded by a chunk. Stops,
 * with the position saved, when the signal aborts; returns whether it finished.
 */
export async function sweepDeleted(
  deps: EngineDeps,
  input: SweepInput,
  plan: EntityPlan,
  state: SweepState,
): Promise<boolean> {
  const entity = plan.entity.name;
  let position = state.position ?? undefined;
  for (;;) {
    if (input.signal?.aborted === true) return false;
    const page = isPersonEntity(entity)
      ? await deps.store.listLinks(entity, { limit: sweepChunk, cursor: position })
      : await deps.store.listMirrorRows(entity, { limit: sweepChunk, cursor: position });
    const live = page.items
      .filter((item) =>
        'state' in item ? item.state === 'active' || item.state === 'excluded' : !item.deleted,
      )
      .map((item) => ('crmId' in item ? item.crmId : item.id));
    const existing = live.length === 0 ? new Set<string>() : await deps.crm.existingIds(entity, live);
    const deletes = live.filter((id) => !existing.has(id));
    const next = page.nextCursor ?? null;
    await deps.store.withTransaction(async (tx) => {
      if (deletes.length > 0) {
        await applyRecordBatch(tx, input, plan, { upserts: [], deletes });
        await tx.addSyncedCount(entity, 'fromCrm', deletes.length);
      }
      await writeSweepState(
        tx,
        entity,
        next === null
          ? { ...state, pending: null, position: null, startedAt: null, sweptAt: deps.now().toISOString() }
          : { ...state, position: next },
      );
    });
    input.context.count(`${entity}.swept`, live.length);
    if (next === null) return true;
    position = next;
  }
}

/**
 * B2.3, B3.6: entities without change tracking have no delete feed, so every `deleteSweepSeconds` their links
 * or mirror rows are swept (and an interrupted sweep is resumed first). The clock of an entity starts at its
 * first pass: the initial load that just read every row has nothing to sweep.
 */
export async function sweepUntrackedEntities(
  deps: EngineDeps,
  input: SweepInput & {
    readonly plans: ReadonlyMap<string, EntityPlan>;
    readonly settings: Pick<EngineSettings, 'accountActivityLimit' | 'deleteSweepSeconds'>;
  },
): Promise<void> {
  const plans = [...input.plans.values()]
    .filter((plan) => !plan.description.entity.changeTrackingEnabled)
    .sort((a, b) => a.entity.stage - b.entity.stage);
  for (const plan of plans) {
    if (input.signal?.aborted === true) return;
    const entity = plan.entity.name;
    const now = deps.now();
    const state = await readSweepState(deps.store, entity);
    if (state === undefined) {
      await writeSweepState(deps.store, entity, { ...idle, sweptAt: now.toISOString() });
      continue;
    }
    if (state.pending === null) {
      const due =
        state.sweptAt === null ||
        now.getTime() - Date.parse(state.sweptAt) >= input.settings.deleteSweepSeconds * 1000;
      if (!due) continue;
      const started: SweepState = {
        ...state,
        pending: 'periodic',
        position: null,
        startedAt: now.toISOString(),
      };
      await writeSweepState(deps.store, entity, started);
      await sweepDeleted(deps, input, plan, started);
    } else if (state.pending === 'periodic') {
      await sweepDeleted(deps, input, plan, state);
    }
    // A reconcile's sweep is the puller's: it runs only after the reconcile's full read.
  }
}
