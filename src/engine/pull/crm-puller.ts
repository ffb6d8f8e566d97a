import { setImmediate } from 'node:timers/promises';
import type { ChangePage } from '../../connectors/connector.ts';
import { isCrmError } from '../../connectors/crm-error.ts';
import type { PushGate } from '../run/push-gate.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import { quarantineField } from '../fields/quarantine-field.ts';
import type { MetadataCheck } from '../fields/metadata-check.ts';
import type { PassContext } from '../run/pass-context.ts';
import { prefetch, type Prefetch } from './page-prefetch.ts';
import { applyRecordBatch } from '../apply/record-batch.ts';
import { takeRewind } from './backfill-rewind.ts';
import { beginReconcile, readSweepState, sweepDeleted } from './delete-sweep.ts';

export const crmCursorName = (entity: string) => `crm:${entity}`;

/** Progress of the CRM side of a pass, for the initial-load bar (B2.6) and `sync --once`. */
export type PullProgress = (event: { entity: string; rows: number; final: boolean }) => void;

/**
 * Pages of one entity read ahead of its turn. Each entity's change-tracked read is one sequential nextLink
 * chain (the delta link comes only on its last page), so chains can only overlap each other: with every chain
 * open from the start and a few pages read ahead, a chain keeps moving while other entities are applied.
 * Memory: this many pages per entity, plus the one the connector reads ahead itself (page-reader.ts).
 */
const pagesReadAhead = 2;

interface EntityReader {
  plan: EntityPlan;
  pages: Prefetch<ChangePage> | undefined;
  done: boolean;
  /** Opened once in this pass (the owed backfill rewind is taken before the first open only). */
  opened: boolean;
  /**
   * During a reconcile (B2.5): after the full read, records the CRM no longer has are swept as deleted. Read
   * from the durable sweep state at every open, so a reconcile interrupted by a crash or a disable still sweeps.
   */
  reconciling: boolean;
  /** The token expired once in this pass already: a second expiry is an error, not another restart. */
  restarted: boolean;
}

export interface PullInput {
  readonly plans: Map<string, EntityPlan>;
  readonly context: PassContext;
  readonly settings: EngineSettings;
  readonly signal?: AbortSignal;
  readonly onProgress?: PullProgress;
  /** The pass is the initial load: applied rows count towards its persisted progress (B2.6). */
  readonly initialLoad?: boolean;
  /**
   * The engine's push turns (B2.8). A page applies in a turn of its own, so never between an immediate push's
   * CRM write and the transaction that records its answer: the page may hold a CRM edit made after that push
   * landed, which only the recorded answer (the pushed value as the base) shows to be a one-side change.
   */
  readonly pushGate?: PushGate;
  /**
   * The pass's metadata check (issue 16 item 8), taken before the first page that brings records to map; it
   * re-plans the changed entities in `plans` and answers their names.
   */
  readonly metadata?: Pick<MetadataCheck, 'ensure'>;
  /**
   * Work of the pass's own store chain taken while the entity whose turn it is has no page yet (the CRM is
   * slower than the store in a large load): one step each time, so a page that arrives waits for one step at
   * most. The pass records the initial load's totals and collects marketing changes here (`pass-runner.ts`).
   */
  readonly whileWaiting?: () => Promise<void>;
  /** Awaited before each page is applied (the pass stores the initial load's totals before the first, B2.6). */
  readonly beforeApply?: () => Promise<void>;
}

/**
 * Reads every entity's CRM changes and applies them page by page, each page with its cursor in one
 * transaction (B2.4). Entities take turns in dependency order, at most `maxPagesPerTurn` pages each, so a
 * backlog on one entity never starves the others (B2.2, B2.7). Every entity's read starts with the pass and
 * runs a few pages ahead of its turn; what is applied, in which order, is the same as without reading ahead.
 */
export async function pullCrmChanges(deps: EngineDeps, input: PullInput): Promise<void> {
  const readers: EntityReader[] = [...input.plans.values()]
    .sort((a, b) => a.entity.stage - b.entity.stage)
    .map((plan) => ({
      plan,
      pages: undefined,
      done: false,
      opened: false,
      reconciling: false,
      restarted: false,
    }));
  try {
    // Opened in dependency order, so the first requests queue at the connector's limiter in that order.
    for (const reader of readers) await openReader(deps, input, reader);
    while (readers.some((reader) => !reader.done)) {
      for (const reader of readers) {
        for (let turn = 0; turn < input.settings.maxPagesPerTurn && !reader.done; turn += 1) {
          if (input.signal?.aborted) return;
          // Outside the page's error handling: a failure of this work is the pass's, not the entity's.
          if (input.whileWaiting !== undefined && reader.pages?.ready() === false) await input.whileWaiting();
          await readOnePage(deps, input, reader);
        }
      }
    }
  } finally {
    for (const reader of readers) reader.pages?.close();
  }
}

/** Starts reading the entity from its stored cursor: the one of the last page applied. */
async function openReader(
  deps: EngineDeps,
  input: PullInput,
  reader: EntityReader,
): Promise<Prefetch<ChangePage>> {
  reader.pages?.close();
  const entity = reader.plan.entity.name;
  if (!reader.opened) {
    reader.opened = true;
    // B5.5: a backfill that finished since the last pass may owe a re-read of changes since it began.
    if (await takeRewind(deps, reader.plan, crmCursorName(entity))) input.context.count(`${entity}.rewinds`);
  }
  reader.reconciling = (await readSweepState(deps.store, entity))?.pending === 'reconcile';
  const cursor = await deps.store.getCursor(crmCursorName(entity));
  const pages = deps.crm.readChanges(reader.plan.entity.name, reader.plan.select, cursor, {
    pageSize: input.settings.pageSize,
    signal: input.signal,
  });
  reader.pages = prefetch(pages[Symbol.asyncIterator](), pagesReadAhead, input.signal);
  return reader.pages;
}

async function readOnePage(deps: EngineDeps, input: PullInput, reader: EntityReader): Promise<void> {
  const entity = reader.plan.entity.name;
  try {
    const pages = reader.pages ?? (await openReader(deps, input, reader));
    const next = await pages.next();
    if (next.done) {
      reader.done = true;
      return;
    }
    // Taking the page let its chain issue the next request, but undici writes it on a later turn of the event
    // loop (it waits one cycle before reusing a kept-alive socket), and applying a page holds the loop for its
    // whole length (node:sqlite answers synchronously, so the apply is one run of promise callbacks). Without
    // this turn the request left only after the apply, and every page of the chain paid the apply's time on top
    // of the server's (S3 at scale 0.1: 3.5 s instead of 2.4 s per contact page).
    await setImmediate();
    if (next.value.upserts.length > 0 && input.metadata !== undefined) {
      // A new option label or a changed type must be known before the page's values are mapped (B5.6).
      await input.metadata.ensure();
      reader.plan = input.plans.get(entity) ?? reader.plan;
    }
    await input.beforeApply?.();
    await applyPage(deps, input, reader, next.value);
    if (next.value.final) {
      reader.done = true;
      if (reader.reconciling) await sweepReconciled(deps, input, reader);
    }
  } catch (error) {
    if (!isCrmError(error)) throw error;
    if (error.errorClass === 'expired-cursor' && !reader.restarted) {
      // B2.5: the delta token expired — read everything again and diff against the bases. The sweep at the end
      // of that read is owed durably, with the cursor reset (delete-sweep.ts).
      deps.logger.warn({ entity }, 'change-tracking token expired; reconciling the entity');
      await beginReconcile(deps, entity, crmCursorName(entity));
      reader.restarted = true;
      await openReader(deps, input, reader);
      input.context.count(`${entity}.reconciles`);
      return;
    }
    // An attribute the plan does not read cannot be dropped: reopening would fail the same way for ever.
    if (
      error.errorClass === 'field' &&
      error.field !== undefined &&
      reader.plan.select.includes(error.field)
    ) {
      // B5.6: quarantine the vanished attribute and keep syncing the others from the same cursor.
      reader.plan = await quarantineField(deps, reader.plan, error.field, error.message);
      // The pass's own map (built for this pass): its push goes without the attribute too.
      input.plans.set(entity, reader.plan);
      await openReader(deps, input, reader);
      return;
    }
    throw error;
  }
}

async function applyPage(deps: EngineDeps, input: PullInput, reader: EntityReader, page: ChangePage) {
  const entity = reader.plan.entity.name;
  const apply = () =>
    input.context.timedCommit(deps.latency, () =>
      deps.store.withTransaction(async (tx) => {
        await applyRecordBatch(tx, input, reader.plan, page);
        const rows = page.upserts.length + page.deletes.length;
        if (rows > 0) await tx.addSyncedCount(entity, 'fromCrm', rows);
        // In the page's transaction: a page redone after a crash is counted once (B2.4).
        if (input.initialLoad === true) await tx.addInitialLoadProgress(entity, rows, page.final);
        await tx.setCursor(crmCursorName(entity), page.cursor);
      }),
    );
  await (input.pushGate === undefined ? apply() : input.pushGate.run(apply));
  input.onProgress?.({ entity, rows: page.upserts.length + page.deletes.length, final: page.final });
}

/** After a reconcile's full read, the records the CRM no longer has were deleted while the token was expired. */
async function sweepReconciled(deps: EngineDeps, input: PullInput, reader: EntityReader) {
  const state = await readSweepState(deps.store, reader.plan.entity.name);
  if (state?.pending !== 'reconcile') return;
  if (await sweepDeleted(deps, input, reader.plan, state)) reader.reconciling = false;
}
