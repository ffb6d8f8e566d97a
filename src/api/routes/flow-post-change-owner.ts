import { ChangeOwnerBody, ChangeOwnerResult } from '../contracts/flow-actions.ts';
import { flowActionSchema, requireFlowActions } from './flow-actions-required.ts';
import type { RouteRegistration } from './route.ts';

export const registerFlowPostChangeOwnerRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/persons/:id/actions/change-owner',
    {
      schema: flowActionSchema(
        'Change Owner in Microsoft: sync first if needed, then assign (B7.6)',
        ChangeOwnerBody,
        ChangeOwnerResult,
      ),
    },
    async (request) => requireFlowActions(dependencies).changeOwner(request.params.id, request.body),
  );
};
