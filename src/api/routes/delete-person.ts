import { Type } from 'typebox';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { PersonIdParams } from '../contracts/person.ts';
import { personNotFound } from './person-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerDeletePersonRoute: RouteRegistration = (app, { persons }) => {
  app.delete(
    '/api/v1/persons/:id',
    {
      schema: {
        summary: 'Delete a person (never touches the CRM, B3.6)',
        tags: ['persons'],
        params: PersonIdParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      if (!(await persons.deletePerson(request.params.id))) throw personNotFound(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
