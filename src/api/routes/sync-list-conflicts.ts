import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { ListSyncConflictsQuery, SyncConflictList } from '../contracts/sync-conflict.ts';
import type { RouteRegistration } from './route.ts';
import { pageRequest, requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncListConflictsRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/sync/conflicts',
    {
      schema: {
        summary: 'The conflict log: collisions and the losing values, newest first (B4.3)',
        tags: ['sync'],
        querystring: ListSyncConflictsQuery,
        response: { 200: SyncConflictList, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { personId } = request.query;
      return requireSyncAdmin(dependencies).listConflicts({
        ...pageRequest(request.query),
        ...(personId === undefined ? {} : { personId }),
      });
    },
  );
};
