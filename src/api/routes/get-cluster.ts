import { SynclineError } from '../../errors/syncline-error.ts';
import { ClusterView } from '../contracts/cluster.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerGetClusterRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/cluster',
    {
      schema: {
        summary: 'Replicas and the leases of the sync work (B2.9)',
        tags: ['sync'],
        response: { 200: ClusterView, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async () => {
      if (dependencies.cluster === undefined) {
        throw new SynclineError(
          'SYNC_UNAVAILABLE',
          'This process runs no sync engine, so it is no member of a cluster.',
        );
      }
      return dependencies.cluster.view();
    },
  );
};
