import type { EngineDeps } from '../engine-deps.ts';
import { planWithout, type EntityPlan } from './entity-plan.ts';
import { addNotification } from '../admin/add-notification.ts';

/**
 * B5.6: a synced attribute the CRM no longer knows (it answered "Could not find a property named …" to a read
 * or a write) stops syncing — its field is quarantined, with a notification and a sync error — and every other
 * field keeps syncing. Returns a new plan without the attribute for the caller to go on with (a retried read or
 * write, a flow's create); the given plan is left as it is, because plans are shared (flows' plan cache, a
 * pass's map). Quarantining an attribute that is already quarantined, or not in the selection, only returns
 * the plan without it. Re-saving the selection clears the quarantine.
 */
export async function quarantineField(
  deps: EngineDeps,
  plan: EntityPlan,
  attribute: string,
  crmMessage: string,
): Promise<EntityPlan> {
  const entity = plan.entity.name;
  const reason = `The CRM answered: ${crmMessage}`;
  const fields = await deps.store.listSyncFields(entity);
  const field = fields.find((candidate) => candidate.attribute === attribute);
  if (field !== undefined && field.state !== 'quarantined') {
    await deps.store.setSyncFieldState(entity, attribute, 'quarantined', reason);
    await notifyQuarantine(deps, { entity, attribute, reason });
  }
  return planWithout(plan, attribute);
}

/** Tells the admin a field stopped syncing: a log line, a notification (B6.6) and a schema sync error. */
export async function notifyQuarantine(
  deps: EngineDeps,
  field: { entity: string; attribute: string; reason: string },
) {
  deps.logger.warn(field, 'field quarantined');
  await addNotification(deps, deps.store, {
    type: 'field-quarantined',
    message: `${field.entity}.${field.attribute} stopped syncing: ${field.reason} Every other field keeps syncing; re-save the field selection to clear it.`,
    details: field,
  });
  await deps.store.recordSyncError({
    entity: field.entity,
    crmId: null,
    personId: null,
    direction: 'fromCrm',
    operation: 'schema',
    code: 'FIELD_QUARANTINED',
    message: `${field.attribute}: ${field.reason}`,
  });
}
