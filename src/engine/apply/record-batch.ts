import { isPersonEntity } from '../../domain/sync-entities.ts';
import type { Store } from '../../store/store.ts';
import type { EngineSettings } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
import { applyMirrorPage } from './mirror-page-applier.ts';
import { applyPersonPage } from './person-page-applier.ts';
import type { CrmRecord } from '../../domain/crm-record.ts';

/**
 * CRM records of one entity to apply: a change page's upserts and deletes, or records read by id. It carries
 * no cursor: whoever read the records decides whether a cursor moves with them (B2.4).
 */
export interface RecordBatch {
  readonly upserts: readonly CrmRecord[];
  /** Ids the CRM no longer has (deleted, B3.6). */
  readonly deletes: readonly string[];
}

/** What applying a batch needs besides the records: the entity plans, the pass's context and settings. */
export interface BatchScope {
  readonly plans: ReadonlyMap<string, EntityPlan>;
  readonly context: PassContext;
  readonly settings: Pick<EngineSettings, 'accountActivityLimit'>;
}

/**
 * Applies a batch with the pass's rules inside the caller's transaction: leads and contacts through the person
 * appliers (B3, B4), one-way entities as mirror rows (B1.2–B1.4). Writes no cursor and no synced count.
 */
export async function applyRecordBatch(
  tx: Store,
  scope: BatchScope,
  plan: EntityPlan,
  batch: RecordBatch,
): Promise<void> {
  const { context } = scope;
  if (isPersonEntity(plan.entity.name)) {
    await applyPersonPage(tx, { plan, accountPlan: scope.plans.get('account'), batch, context });
  } else {
    const { accountActivityLimit } = scope.settings;
    await applyMirrorPage(tx, { plan, batch, context, accountActivityLimit });
  }
}
