import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncStatus } from '../contracts/sync-status.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncPostEnableRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/sync/enable',
    {
      schema: {
        summary: 'Enable the background sync; accumulated changes are applied by the next pass (B8.1)',
        tags: ['sync'],
        response: { 200: SyncStatus, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async () => requireSyncAdmin(dependencies).setEnabled(true),
  );
};
