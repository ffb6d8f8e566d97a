import type { ChangePage } from '../../connectors/connector.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import type { PassContext } from '../run/pass-context.ts';

export interface PersonPageInput {
  readonly plan: EntityPlan;
  /** The account plan, for contacts' company fields (B1.4). */
  readonly accountPlan: EntityPlan | undefined;
  readonly page: ChangePage;
  readonly context: PassContext;
}
