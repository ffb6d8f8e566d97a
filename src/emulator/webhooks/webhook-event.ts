import type { EmulatorState, RecordChangedEvent as CommittedChange } from '../state/emulator-state.ts';
import type { RecordChangedEvent, WebhookAttribute } from './webhook-types.ts';

/**
 * The core's committed change → the webhook module's typed event (attribute types and lookup targets). An
 * Update also reports the columns the platform set with the request's — a recomputed primary name,
 * modifiedon, modifiedby and modifiedonbehalfby — because Microsoft's example Update body carries them in
 * the Target ("Use webhooks to create external handlers for server events").
 */
export function toWebhookEvent(state: EmulatorState, change: CommittedChange): RecordChangedEvent {
  const entity = state.catalog.entity(change.entity);
  const row = change.message === 'Delete' ? undefined : state.tables.get(change.entity)?.get(change.id);
  const stored = (name: string) => {
    if (name in change.attributes) return change.attributes[name];
    const attribute = entity?.byName.get(name);
    return row !== undefined && attribute !== undefined ? row[attribute.index] : undefined;
  };
  const typed = (name: string, value: unknown): WebhookAttribute | undefined => {
    const attribute = entity?.byName.get(name);
    // Companion columns (owneridtype…) are not SDK attributes; they only say which table a lookup targets.
    // Write-only columns (serviceendpoint.authvalue) are never served, webhooks included.
    if (attribute === undefined || attribute.attributeOf !== undefined || !attribute.validForRead) return;
    let target = attribute.targets?.[0];
    if ((attribute.targets?.length ?? 0) > 1) {
      const type = stored(attribute.typeColumn ?? `${name}type`);
      if (typeof type === 'string') target = type;
    }
    return { name, type: attribute.type, value: (value ?? null) as WebhookAttribute['value'], target };
  };
  const attributes: WebhookAttribute[] = [];
  for (const [name, value] of Object.entries(change.attributes)) {
    const attribute = typed(name, value);
    if (attribute !== undefined) attributes.push(attribute);
  }
  if (entity !== undefined && change.message !== 'Delete' && !(entity.primaryId in change.attributes)) {
    attributes.push({ name: entity.primaryId, type: 'Uniqueidentifier', value: change.id });
  }
  const platformAttributes: WebhookAttribute[] = [];
  if (entity !== undefined && row !== undefined && change.message === 'Update') {
    const renamed = entity.computedName?.from.some((name) => name in change.attributes) ?? false;
    const names = [...(renamed ? [entity.primaryName] : []), 'modifiedon', 'modifiedby'];
    for (const name of names) {
      const attribute = typed(name, stored(name));
      if (attribute !== undefined) platformAttributes.push(attribute);
    }
    // The emulator has no delegates (no modifiedonbehalfby column); the example's value is null too.
    platformAttributes.push({
      name: 'modifiedonbehalfby',
      type: 'Lookup',
      value: null,
      target: 'systemuser',
    });
  }
  const primaryName = entity === undefined || row === undefined ? undefined : stored(entity.primaryName);
  return {
    message: change.message,
    entity: change.entity,
    id: change.id,
    attributes,
    platformAttributes,
    userId: change.userId,
    at: change.at.getTime(),
    primaryIdAttribute: entity?.primaryId,
    primaryName:
      entity === undefined || row === undefined
        ? undefined
        : {
            attribute: entity.primaryName,
            value: primaryName === null || primaryName === undefined ? null : String(primaryName),
          },
  };
}
