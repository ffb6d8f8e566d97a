import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncStatus } from '../contracts/sync-status.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncGetStatusRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/sync/status',
    {
      schema: {
        summary: 'Sync status: state, passes, initial load, backlog per entity, backfills (B6.5)',
        tags: ['sync'],
        response: { 200: SyncStatus, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async () => requireSyncAdmin(dependencies).status(),
  );
};
