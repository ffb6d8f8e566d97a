import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncError, SyncErrorIdParams } from '../contracts/sync-error.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncRetryErrorRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/sync/errors/:id/retry',
    {
      schema: {
        summary: 'Retry a failed record now (B6.1); answers the error with its new status',
        tags: ['sync'],
        params: SyncErrorIdParams,
        response: { 200: SyncError, 404: ErrorBody, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => requireSyncAdmin(dependencies).retryError(request.params.id),
  );
};
