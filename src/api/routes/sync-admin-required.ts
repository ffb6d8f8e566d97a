import type { SyncAdmin } from '../../engine/engine.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { pageLimit } from '../contracts/pagination.ts';
import type { RouteDependencies } from './route.ts';

/** The engine's administration port, or 503 SYNC_UNAVAILABLE when this process runs no engine. */
export function requireSyncAdmin(dependencies: RouteDependencies): SyncAdmin {
  if (dependencies.syncAdmin === undefined) {
    throw new SynclineError(
      'SYNC_UNAVAILABLE',
      'The sync engine is not running in this process; the sync administration is unavailable.',
    );
  }
  return dependencies.syncAdmin;
}

/** `limit`/`cursor` of a query as the port's `PageRequest` (an absent limit is the API's default). */
export function pageRequest(query: { limit?: number; cursor?: string }): { limit: number; cursor?: string } {
  return {
    limit: query.limit ?? pageLimit.default,
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}
