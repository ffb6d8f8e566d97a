import { SyncToCrmBody, SyncToCrmResult } from '../contracts/flow-actions.ts';
import { flowActionSchema, requireFlowActions } from './flow-actions-required.ts';
import type { RouteRegistration } from './route.ts';

export const registerFlowPostSyncToCrmRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/persons/:id/actions/sync-to-crm',
    {
      schema: flowActionSchema(
        'Sync Person to Microsoft: create the lead or contact now and link it (B7.1, B7.2)',
        SyncToCrmBody,
        SyncToCrmResult,
      ),
    },
    async (request) => requireFlowActions(dependencies).syncToCrm(request.params.id, request.body),
  );
};
