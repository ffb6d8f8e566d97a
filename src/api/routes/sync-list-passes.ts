import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { PageQuery } from '../contracts/pagination.ts';
import { SyncPassList } from '../contracts/sync-pass.ts';
import type { RouteRegistration } from './route.ts';
import { pageRequest, requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncListPassesRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/sync/passes',
    {
      schema: {
        summary: 'Pass history with counts and errors, newest first (B6.5)',
        tags: ['sync'],
        querystring: PageQuery,
        response: { 200: SyncPassList, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => requireSyncAdmin(dependencies).listPasses(pageRequest(request.query)),
  );
};
