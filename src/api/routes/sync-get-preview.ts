import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncPreview } from '../contracts/sync-preview.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncGetPreviewRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/sync/preview',
    {
      schema: {
        summary: 'Dry run: what the next pass would write, per side; writes nothing (B8.2)',
        tags: ['sync'],
        response: { 200: SyncPreview, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async () => requireSyncAdmin(dependencies).preview(),
  );
};
