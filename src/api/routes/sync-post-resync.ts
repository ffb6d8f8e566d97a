import type { SyncAdmin } from '../../engine/engine.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { ResyncBody, ResyncResult } from '../contracts/sync-resync.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

type ResyncTarget = Parameters<SyncAdmin['resync']>[0];

export const registerSyncPostResyncRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/sync/resync',
    {
      schema: {
        summary: 'Resync one record now: re-read both sides and merge (B8.2)',
        tags: ['sync'],
        body: ResyncBody,
        response: { 200: ResyncResult, 404: ErrorBody, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => requireSyncAdmin(dependencies).resync(resyncTarget(request.body)),
  );
};

function resyncTarget({ personId, entity, crmId }: ResyncBody): ResyncTarget {
  if (personId !== undefined && entity === undefined && crmId === undefined) return { personId };
  if (personId === undefined && entity !== undefined && crmId !== undefined) return { entity, crmId };
  const given = Object.entries({ personId, entity, crmId })
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  const message = `must be either {personId} or {entity, crmId}, not {${given.join(', ')}}`;
  // The same details shape as schema failures, so clients read one format.
  throw new SynclineError('VALIDATION_FAILED', `Invalid body: ${message}.`, {
    details: { in: 'body', problems: [{ path: '/', message }] },
  });
}
