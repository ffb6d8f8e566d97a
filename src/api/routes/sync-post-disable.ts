import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncStatus } from '../contracts/sync-status.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncPostDisableRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/sync/disable',
    {
      schema: {
        summary:
          'Disable the background sync at the next safe boundary; flow actions keep working (B8.1, B7.4)',
        tags: ['sync'],
        response: { 200: SyncStatus, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async () => requireSyncAdmin(dependencies).setEnabled(false),
  );
};
