import { isCrmError } from '../../connectors/crm-error.ts';
import { isPersonEntity, type SyncEntity } from '../../domain/sync-entities.ts';
import type { EngineDeps } from '../engine-deps.ts';
import { refreshFieldCatalog } from './field-selection.ts';

/**
 * Fresh metadata every pass (issue 16 item 8): asks the CRM once what changed in the synced entities' schema
 * (`checkMetadataChanges`: one `RetrieveMetadataChanges` request with the last version stamp, an empty answer
 * when nothing changed). The connector forgets what it cached of each changed entity, so this pass's plans map
 * a newly added option to its label with no re-save; and each changed entity's stored field catalog is brought
 * in line, so a synced attribute that changed type or disappeared is quarantined now (B5.6) instead of being
 * read with the old type. Entities whose catalog is still empty are left to `buildPlans`, which seeds it.
 * Returns the entities that changed.
 */
export async function refreshChangedMetadata(
  deps: EngineDeps,
  entities: readonly SyncEntity[],
): Promise<readonly string[]> {
  const changes = await deps.crm.checkMetadataChanges(entities.map((entity) => entity.name));
  const byName = new Map(entities.map((entity) => [entity.name, entity]));
  for (const name of changes.changed) {
    const entity = byName.get(name);
    if (entity === undefined || (await deps.store.listSyncFields(name)).length === 0) continue;
    try {
      await refreshFieldCatalog(deps, entity);
    } catch (error) {
      // A configured custom entity the CRM lacks is skipped, as buildPlans skips it.
      if (isCrmError(error) && error.reason === 'unknown-entity' && !isPersonEntity(name)) continue;
      throw error;
    }
  }
  if (!changes.full && changes.changed.length > 0) {
    deps.logger.info({ entities: changes.changed }, 'CRM metadata changed; read again');
  }
  return changes.changed;
}
