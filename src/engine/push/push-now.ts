import type { PersonEntity } from '../../domain/sync-entities.ts';
import type { EngineDeps, EngineSettings } from '../engine-deps.ts';
import type { EntityPlan } from '../fields/entity-plan.ts';
import { PassContext } from '../run/pass-context.ts';
import { pushPending } from './crm-pusher.ts';

/**
 * Pushes what one linked record has pending now, outside a pass, with the pass's rules: the ETag (B4.5, a 412
 * re-reads and merges again), one sync error per refusal (B6.1), quarantine of a vanished attribute (B5.6, on
 * this call's own copy of `plans`). A transient failure leaves the mark for the next pass (B6.2). Nothing
 * pending → nothing sent. Returns the attributes the CRM accepted.
 */
export async function pushRecordNow(
  deps: EngineDeps,
  scope: { readonly plans: ReadonlyMap<string, EntityPlan>; readonly settings: EngineSettings },
  target: { readonly entity: PersonEntity; readonly crmId: string },
): Promise<string[]> {
  const pushed: string[] = [];
  await pushPending(deps, {
    plans: scope.plans,
    context: new PassContext(),
    settings: scope.settings,
    only: { entity: target.entity, crmId: target.crmId },
    onPushed: (attributes) => pushed.push(...attributes),
  });
  return pushed;
}
