import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { PassRequested } from '../contracts/sync-pass.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncPostPassRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/sync/passes',
    {
      schema: {
        summary: 'Run a pass now (as soon as none is running); the schedule is unchanged (B8.2)',
        tags: ['sync'],
        response: { 202: PassRequested, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (_request, reply) => reply.code(202).send(await requireSyncAdmin(dependencies).requestPass()),
  );
};
