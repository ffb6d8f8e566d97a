import type { EngineDeps } from '../engine-deps.ts';
import { PassContext } from '../run/pass-context.ts';
import { applyRecordBatch, type BatchScope } from './record-batch.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

/** Records of one entity read by id, and the ids asked for that the CRM no longer has. */
export interface FetchedRecords {
  readonly entity: string;
  /** As the CRM returned them: values of the entity plan's `select`, with their ETags. */
  readonly records: readonly CrmRecord[];
  /** Ids that were read and not found: applied as CRM deletes (B3.6). */
  readonly missing: readonly string[];
}

/** A batch scope whose pass context is optional: without one, the records are counted nowhere. */
export type FetchScope = Omit<BatchScope, 'context'> & { readonly context?: PassContext };

/**
 * Applies records read by id (a 412 re-read B4.5, a resync B8.2, a webhook's records B2.8) with exactly the
 * pass's rules, in one transaction. Unlike a change page it moves no cursor: the records were not read from
 * the change feed, so the entity's delta position is unchanged and the next pass still reads them (as
 * unchanged, B4.4). An entity without a plan (a custom entity the CRM lacks) is ignored. With `deps.latency`, the
 * changes written to persons are timed from the records' `modifiedon` to the commit (B2.8 `fromCrm`).
 */
export async function applyFetchedRecords(
  deps: Pick<EngineDeps, 'store' | 'latency'>,
  scope: FetchScope,
  fetched: FetchedRecords,
): Promise<void> {
  const plan = scope.plans.get(fetched.entity);
  if (plan === undefined) return;
  const context = scope.context ?? new PassContext();
  const batchScope = { ...scope, context };
  // B2.8: the changes these records carry to persons are timed (`deps.latency`), as a pass's page's are.
  await context.timedCommit(deps.latency, () =>
    deps.store.withTransaction((tx) =>
      applyRecordBatch(tx, batchScope, plan, { upserts: fetched.records, deletes: fetched.missing }),
    ),
  );
}

/**
 * Reads one record by id with its plan's `select` and applies it (`applyFetchedRecords`); a record the CRM no
 * longer has is applied as deleted. Returns the record read, or undefined when it is gone or has no plan.
 */
export async function rereadRecord(
  deps: Pick<EngineDeps, 'store' | 'crm' | 'latency'>,
  scope: FetchScope,
  entity: string,
  crmId: string,
): Promise<CrmRecord | undefined> {
  const plan = scope.plans.get(entity);
  if (plan === undefined) return undefined;
  const record = await deps.crm.retrieve(entity, crmId, plan.select);
  const fetched =
    record === undefined ? { records: [], missing: [crmId] } : { records: [record], missing: [] };
  await applyFetchedRecords(deps, scope, { entity, ...fetched });
  return record;
}
