import type { OwnerReference } from '../../connectors/connector.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { EngineDeps } from '../engine-deps.ts';

/** An owner (B1.5): a systemuser or a team, with what the person's owner fields show. */
export interface ResolvedOwner extends OwnerReference {
  readonly name: string | null;
  /** Teams have no email of their own. */
  readonly email: string | null;
}

const ownerEntities = ['systemuser', 'team'] as const;

const selectOf = (entity: OwnerReference['entity']) =>
  entity === 'team' ? ['name'] : ['fullname', 'internalemailaddress'];

/**
 * Decides whether an owner id is a user or a team (`ownerid` binds to either, B7.1): the CRM mirror first
 * (no request when the sync has read them), then the CRM itself — the mirror is empty while the sync is
 * disabled or before its first pass (B7.4). Throws UNKNOWN_OWNER when neither knows the id.
 */
export async function resolveOwner(
  deps: Pick<EngineDeps, 'store' | 'crm'>,
  id: string,
): Promise<ResolvedOwner> {
  const ownerId = id.toLowerCase();
  for (const entity of ownerEntities) {
    const row = await deps.store.getMirrorRow(entity, ownerId);
    if (row !== undefined && !row.deleted) return ownerOf(entity, ownerId, row.attributes);
  }
  for (const entity of ownerEntities) {
    const record = await deps.crm.retrieve(entity, ownerId, selectOf(entity));
    if (record !== undefined) return ownerOf(entity, record.id.toLowerCase(), record.values);
  }
  throw new SynclineError('UNKNOWN_OWNER', `No CRM user or team has the id ${id}.`, {
    details: { ownerId: id },
  });
}

function ownerOf(
  entity: OwnerReference['entity'],
  id: string,
  attributes: Readonly<Record<string, unknown>>,
): ResolvedOwner {
  return {
    entity,
    id,
    name: textOf(attributes[entity === 'team' ? 'name' : 'fullname']),
    email: entity === 'team' ? null : textOf(attributes.internalemailaddress),
  };
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
