import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { SyncFieldList, SyncFieldSelection } from '../contracts/sync-field.ts';
import type { RouteRegistration } from './route.ts';
import { requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncPutFieldsRoute: RouteRegistration = (app, dependencies) => {
  app.put(
    '/api/v1/sync/fields',
    {
      schema: {
        summary:
          'Save the field selection: refreshes the schema, starts backfills, clears quarantines (B5.4–B5.6)',
        description:
          'Deselecting a field that is queued or backfilling is refused with 409 CONFLICT (B5.5). Naming an ' +
          'attribute the CRM does not have is refused with 400 CRM_FIELD_CREATION_NOT_SUPPORTED: Syncline never ' +
          'creates CRM fields (B5.7).',
        tags: ['sync'],
        body: SyncFieldSelection,
        response: { 200: SyncFieldList, 409: ErrorBody, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => requireSyncAdmin(dependencies).saveFields(request.body),
  );
};
