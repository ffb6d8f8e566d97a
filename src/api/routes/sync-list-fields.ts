import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncFieldList } from '../contracts/sync-field.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncListFieldsRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/sync/fields',
    {
      schema: {
        summary: 'CRM attributes per entity with access, selection and sync state (B5)',
        tags: ['sync'],
        response: { 200: SyncFieldList, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async () => requireSyncAdmin(dependencies).listFields(),
  );
};
