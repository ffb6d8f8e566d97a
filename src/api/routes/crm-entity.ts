import { SynclineError } from '../../errors/syncline-error.ts';
import type { RouteDependencies } from './route.ts';

/** Answers 404 for an entity that is not mirrored, rather than an empty list that hides a typo. */
export async function assertMirrorEntity(dependencies: RouteDependencies, entity: string): Promise<void> {
  const entities = await dependencies.mirrorEntities();
  if (!entities.includes(entity)) {
    throw new SynclineError(
      'NOT_FOUND',
      `"${entity}" is not a mirrored CRM entity; mirrored: ${entities.join(', ')}.`,
      { details: { entity, mirrored: [...entities] } },
    );
  }
}
