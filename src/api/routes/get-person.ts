import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { Person, PersonIdParams } from '../contracts/person.ts';
import { personNotFound, toPersonBody } from './person-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerGetPersonRoute: RouteRegistration = (app, { persons }) => {
  app.get(
    '/api/v1/persons/:id',
    {
      schema: {
        summary: 'Get a person',
        tags: ['persons'],
        params: PersonIdParams,
        response: { 200: Person, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const person = await persons.getPerson(request.params.id);
      if (person === undefined) throw personNotFound(request.params.id);
      return toPersonBody(person);
    },
  );
};
