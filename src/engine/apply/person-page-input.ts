import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';
import type { RecordBatch } from './record-batch.ts';

export interface PersonPageInput {
  readonly plan: EntityPlan;
  /** The account plan, for contacts' company fields (B1.4). */
  readonly accountPlan: EntityPlan | undefined;
  readonly batch: RecordBatch;
  readonly context: PassContext;
}
