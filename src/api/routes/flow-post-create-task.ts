import { CreateTaskBody, CreateTaskResult } from '../contracts/flow-actions.ts';
import { flowActionSchema, requireFlowActions } from './flow-actions-required.ts';
import type { RouteRegistration } from './route.ts';

export const registerFlowPostCreateTaskRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    '/api/v1/persons/:id/actions/create-task',
    {
      schema: flowActionSchema(
        'Create Task in Microsoft: a task regarding the person’s lead or contact (B7.6)',
        CreateTaskBody,
        CreateTaskResult,
      ),
    },
    async (request) => requireFlowActions(dependencies).createTask(request.params.id, request.body),
  );
};
