import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { Person, PersonIdParams, PersonInput } from '../contracts/person.ts';
import { personNotFound, rejectReadOnlyFields, toPersonBody } from './person-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerPatchPersonRoute: RouteRegistration = (app, { persons }) => {
  app.patch(
    '/api/v1/persons/:id',
    {
      schema: {
        summary: 'Update some fields of a person',
        tags: ['persons'],
        params: PersonIdParams,
        body: PersonInput,
        response: { 200: Person, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const fields = request.body as PersonInput;
      rejectReadOnlyFields(fields);
      const person = await persons.updatePerson(request.params.id, fields, 'api');
      if (person === undefined) throw personNotFound(request.params.id);
      return toPersonBody(person);
    },
  );
};
