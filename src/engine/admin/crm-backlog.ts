import { isCrmError } from '../../connectors/crm-error.ts';
import type { InitialLoadEntityProgress } from '../../store/initial-load-store.ts';
import type { EngineDeps } from '../engine-deps.ts';
import { crmCursorName } from '../pull/crm-puller.ts';

/**
 * What the next read of one entity would bring from the CRM (B6.5 "pending from the CRM"), and how that was
 * counted:
 * - `delta-token`: Dataverse's count of changes since the stored delta link (creates, updates, deletes);
 * - `modifiedon`: rows modified after the newest one applied (entities without change tracking; deletes are
 *   not seen; at most 5,000, then `atLeast`);
 * - `initial-load`: the entity's initial read is under way — its snapshot total less the rows applied;
 * - null (with `pending` null): not counted — the entity was never read, or the CRM did not answer.
 */
export interface EntityBacklog {
  readonly pending: number | null;
  readonly atLeast: boolean;
  readonly basis: 'delta-token' | 'modifiedon' | 'initial-load' | null;
  /** When Syncline counted (the figure is as of then). */
  readonly countedAt: string | null;
}

const uncounted: EntityBacklog = { pending: null, atLeast: false, basis: null, countedAt: null };

/**
 * Counts each entity's CRM backlog: at most one count request per entity, none during its initial read.
 * `initialLoadDone`: the initial load finished (an entity it left unfinished is counted like any other).
 */
export async function countCrmBacklog(
  deps: EngineDeps,
  entities: readonly string[],
  initialLoadDone: boolean,
  signal?: AbortSignal,
): Promise<Map<string, EntityBacklog>> {
  const progress = new Map(
    initialLoadDone ? [] : (await deps.store.listInitialLoadProgress()).map((row) => [row.entity, row]),
  );
  const counted = await Promise.all(
    entities.map(async (entity): Promise<[string, EntityBacklog]> => [
      entity,
      await countOne(deps, entity, progress.get(entity), signal),
    ]),
  );
  return new Map(counted);
}

async function countOne(
  deps: EngineDeps,
  entity: string,
  progress: InitialLoadEntityProgress | undefined,
  signal: AbortSignal | undefined,
): Promise<EntityBacklog> {
  const countedAt = deps.now().toISOString();
  if (progress !== undefined && progress.finishedAt === null) {
    // Mid initial read: the next page is a skiptoken, which no count query reaches; the snapshot total is what
    // the read is heading for.
    return progress.total === null
      ? uncounted
      : {
          pending: Math.max(0, progress.total - progress.processed),
          atLeast: false,
          basis: 'initial-load',
          countedAt,
        };
  }
  try {
    const cursor = await deps.store.getCursor(crmCursorName(entity));
    const count = await deps.crm.countChanges(entity, cursor, signal);
    if (count === undefined) return uncounted;
    return { pending: count.count, atLeast: count.atLeast, basis: count.basis, countedAt };
  } catch (error) {
    if (!isCrmError(error)) throw error;
    // The figure is a convenience: a CRM that does not answer leaves it uncounted, the pass reports the cause.
    deps.logger.debug({ entity, err: { message: error.message } }, 'could not count pending CRM changes');
    return uncounted;
  }
}

/**
 * B2.6: the CRM's row counts for the entities the initial load reads, asked once (`RetrieveTotalRecordCount`)
 * and kept with the progress, so a restarted load keeps the same bar. A CRM that cannot tell leaves the totals
 * unknown; the load goes on.
 *
 * In two steps, so the pass can ask beside its first page requests and record the answer on its own store
 * chain (S3's head: the count was a round trip before the chains started): the request starts now, `record`
 * waits for it and stores the totals.
 */
export async function askInitialLoadTotals(
  deps: EngineDeps,
  entities: readonly string[],
  signal?: AbortSignal,
): Promise<{ record(): Promise<void> }> {
  const known = new Set(
    (await deps.store.listInitialLoadProgress()).filter((row) => row.total !== null).map((row) => row.entity),
  );
  const missing = entities.filter((entity) => !known.has(entity));
  if (missing.length === 0) return { record: () => Promise.resolve() };
  const asked = deps.crm.totalRecordCounts(missing, signal).then(
    (counts) => ({ counts }),
    (error: unknown) => ({ error }),
  );
  return {
    async record() {
      const answer = await asked;
      if ('counts' in answer) {
        await deps.store.setInitialLoadTotals(Object.fromEntries(answer.counts));
        return;
      }
      if (!isCrmError(answer.error)) throw answer.error;
      deps.logger.warn(
        { entities: missing, err: { message: answer.error.message } },
        'the CRM did not tell its record counts; the initial load runs without a total',
      );
    },
  };
}
