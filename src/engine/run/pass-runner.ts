import { isCrmError } from '../../connectors/crm-error.ts';
import {
  builtInEntities,
  customEntity,
  isPersonEntity,
  type SyncEntity,
} from '../../domain/sync-entities.ts';
import { pullCrmChanges, type PullProgress } from '../pull/crm-puller.ts';
import { sweepUntrackedEntities } from '../pull/delete-sweep.ts';
import { pushPending } from '../push/crm-pusher.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import { buildEntityPlan, type EntityPlan } from '../fields/entity-plan.ts';
import { refreshFieldCatalog } from '../fields/field-selection.ts';
import { MetadataCheck } from '../fields/metadata-check.ts';
import { collectMarketingChanges, collectMarketingPage } from '../push/marketing-feed.ts';
import { PassContext } from './pass-context.ts';
import { PushGate } from './push-gate.ts';
import { addNotification } from '../admin/add-notification.ts';
import { ensurePersonFields } from '../fields/person-field-registry.ts';
import { StatisticsRefresher } from './statistics-refresher.ts';
import type { PassRecord } from '../../store/run-log-store.ts';
import { passSummary } from '../admin/pass-summary.ts';
import { askInitialLoadTotals, countCrmBacklog, type EntityBacklog } from '../admin/crm-backlog.ts';

export const initialLoadSetting = 'sync:initial-load-done';

export function syncEntitiesOf(settings: EngineSettings): SyncEntity[] {
  return [...builtInEntities, ...settings.customEntities.map(customEntity)];
}

export interface PassOptions {
  readonly trigger: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: PullProgress;
  /**
   * Called once per entity before the CRM is read, with what the read is expected to bring (`sync --once`'s bar
   * totals). Costs one count request per entity, so only passes that show it ask.
   */
  readonly onEstimate?: PassEstimate;
  /** Shared with the immediate pusher (B2.8): the pass collects and pushes in its turn. */
  readonly pushGate?: PushGate;
}

export type PassEstimate = (entity: string, backlog: EntityBacklog) => void;

export interface PassOutcome {
  readonly pass: PassRecord;
  readonly status: 'succeeded' | 'failed' | 'aborted';
  readonly counts: Record<string, number>;
  readonly error: string | null;
}

/**
 * One pass (B2.2): refresh the field catalog when it is empty, read and apply the CRM's changes per entity,
 * collect the marketing side's changes, push them; the CRM's metadata is checked for changes (issue 16 item 8,
 * B5.6) before the first value is mapped either way (`MetadataCheck`). A failure of the whole pass
 * (authentication, CRM unreachable, privilege on an entity) is recorded with a clear message and a notification
 * (B6.3); the schedule retries after the interval.
 */
export async function runPass(
  deps: EngineDeps,
  settings: EngineSettings,
  options: PassOptions,
): Promise<PassOutcome> {
  const pass = await deps.store.startPass(options.trigger);
  const started = Date.now();
  const log = deps.logger.child({ pass: pass.id });
  log.info({ trigger: options.trigger }, 'pass started');
  const context = new PassContext();
  try {
    // Asked before the first value is mapped either way; an idle pass asks only when the last check is old.
    const metadata = new MetadataCheck(deps, syncEntitiesOf(settings));
    await metadata.beforePlans();
    const plans = await buildPlans(deps, settings);
    metadata.usePlans(plans);
    const initialLoad = (await deps.store.getSetting(initialLoadSetting)) === undefined;
    // The initial load copies the CRM's history: its rows are no changes carried just now (B2.8 latency).
    context.timesLatency = !initialLoad;
    // B2.6: the bar's total, asked once and kept, so a restarted load keeps the same bar; asked beside the first
    // page requests and recorded while the pull waits for one, or before the first is applied.
    let totals = initialLoad
      ? await askInitialLoadTotals(deps, [...plans.keys()], options.signal)
      : undefined;
    const recordTotals = async () => {
      const recording = totals;
      totals = undefined;
      await recording?.record();
    };
    if (options.onEstimate !== undefined) {
      // The estimate of an entity mid-load is its total less what was read (`sync --once`'s bars).
      await recordTotals();
      const backlog = await countCrmBacklog(deps, [...plans.keys()], !initialLoad, options.signal);
      for (const [entity, estimate] of backlog) options.onEstimate(entity, estimate);
    }
    const statistics = new StatisticsRefresher(deps.store, log);
    const gate = options.pushGate ?? new PushGate();
    // Company edits turn person values into the account's (B1.4): with fresh metadata, as a push does.
    const accountPlan = async () => {
      await metadata.ensure();
      return plans.get('account');
    };
    // Pages applied since the marketing feed was last read to its end: each wrote the sync's own feed rows.
    let feedGrew = false;
    const whileWaiting = async () => {
      if (totals !== undefined) return await recordTotals();
      // The marketing feed followed while the CRM is slow, one read per wait: the collect after the pull then has
      // only the last pages' rows to scan (after a large load, mostly the sync's own: skipped in SQL, still read).
      // Not before a page was applied, so a pass with nothing to read costs no more queries than before (S6).
      if (!feedGrew) return;
      feedGrew = await gate.run(() => collectMarketingPage(deps, context, accountPlan, options.signal));
    };
    try {
      await pullCrmChanges(deps, {
        plans,
        context,
        settings,
        initialLoad,
        signal: options.signal,
        pushGate: options.pushGate,
        metadata,
        whileWaiting,
        // Stored before the first page at the latest, so a load cut short after any page keeps its total.
        beforeApply: recordTotals,
        onProgress: (event) => {
          if (event.rows > 0) feedGrew = true;
          statistics.rowsWritten(event.rows);
          options.onProgress?.(event);
        },
      });
    } finally {
      await statistics.settled();
    }
    await recordTotals();
    // B2.3, B3.6: entities without change tracking see no deletes in their watermark read; a periodic sweep does.
    await sweepUntrackedEntities(deps, { plans, context, settings, signal: options.signal });
    await gate.run(async () => {
      await collectMarketingChanges(deps, context, accountPlan, options.signal);
      await pushPending(deps, { plans, context, settings, signal: options.signal, metadata });
    });
    if (options.signal?.aborted) return await finish(deps, pass, 'aborted', context, null);
    await metadata.ensureIfOlderThan(settings.metadataCheckSeconds);
    if (initialLoad) await completeInitialLoad(deps, plans, context);
    await notifyNewFailures(deps, context);
    const durationMs = Date.now() - started;
    log.info({ counts: context.counts, durationMs }, passSummary(context.counts, durationMs));
    return await finish(deps, pass, 'succeeded', context, null);
  } catch (error) {
    const message = describeFailure(error);
    log.error(
      { err: error instanceof Error ? { message: error.message, name: error.name } : error },
      'pass failed',
    );
    await addNotification(deps, deps.store, {
      type: 'pass-failed',
      message: `A sync pass failed: ${message}`,
      details: { passId: pass.id },
    });
    return await finish(deps, pass, options.signal?.aborted ? 'aborted' : 'failed', context, message);
  }
}

async function finish(
  deps: EngineDeps,
  pass: PassRecord,
  status: PassOutcome['status'],
  context: PassContext,
  error: string | null,
): Promise<PassOutcome> {
  await deps.store.finishPass(pass.id, { status, counts: context.counts, error });
  return { pass, status, counts: context.counts, error };
}

/**
 * Plans of every entity the CRM has, in B2.2's order; a configured custom entity it lacks is skipped with a
 * warning. The entities are described at once, as far as the connector's limiter lets them: each description is
 * a round of metadata reads, one entity after another a round trip each before the first page (S3).
 */
export async function buildPlans(
  deps: EngineDeps,
  settings: EngineSettings,
): Promise<Map<string, EntityPlan>> {
  const entities = syncEntitiesOf(settings);
  const described = await Promise.allSettled(
    entities.map(async (entity) => {
      if ((await deps.store.listSyncFields(entity.name)).length === 0)
        await refreshFieldCatalog(deps, entity);
      return deps.crm.describeEntity(entity.name);
    }),
  );
  const plans = new Map<string, EntityPlan>();
  for (const [index, entity] of entities.entries()) {
    const outcome = described[index];
    if (outcome.status === 'rejected') {
      const error: unknown = outcome.reason;
      if (isCrmError(error) && error.reason === 'unknown-entity' && !isPersonEntity(entity.name)) {
        deps.logger.warn({ entity: entity.name }, 'entity not found in the CRM; skipped');
        continue;
      }
      throw error;
    }
    plans.set(
      entity.name,
      buildEntityPlan(entity, outcome.value, await deps.store.listSyncFields(entity.name)),
    );
  }
  await ensurePersonFields(deps.store, [...plans.values()]);
  return plans;
}

/** B2.6: the first pass is the initial load; its end is announced once. */
async function completeInitialLoad(deps: EngineDeps, plans: Map<string, EntityPlan>, context: PassContext) {
  const created = Object.entries(context.counts)
    .filter(([key]) => key.endsWith('.fromCrm.created') || key.endsWith('.fromCrm.updated'))
    .reduce((sum, [, count]) => sum + count, 0);
  await deps.store.setSetting(initialLoadSetting, new Date().toISOString());
  await addNotification(deps, deps.store, {
    type: 'initial-load-done',
    message: `The initial load is done: ${created} records read from ${plans.size} entities.`,
    details: { counts: context.counts },
  });
}

/** B6.6: new failing records are announced when they happen, once per pass (not as a daily digest). */
async function notifyNewFailures(deps: EngineDeps, context: PassContext) {
  const count = context.counts['errors.new'] ?? 0;
  if (count === 0) return;
  await addNotification(deps, deps.store, {
    type: 'new-failing-records',
    message: `${count} record${count === 1 ? '' : 's'} newly failed to sync; see the sync errors.`,
    details: { count },
  });
}

function describeFailure(error: unknown): string {
  if (isCrmError(error)) return `${error.message} (${error.errorClass}: ${error.reason})`;
  return error instanceof Error ? error.message : String(error);
}
