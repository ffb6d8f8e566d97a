import { commonErrorResponses } from '../contracts/error-body.ts';
import { PersonInput, UpsertPersonResult } from '../contracts/person.ts';
import { rejectReadOnlyFields } from './person-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerPostPersonRoute: RouteRegistration = (app, { persons }) => {
  app.post(
    '/api/v1/persons',
    {
      schema: {
        summary: 'Create a person, or update the one with the same email (case-insensitive)',
        tags: ['persons'],
        body: PersonInput,
        response: { 200: UpsertPersonResult, 201: UpsertPersonResult, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const fields = request.body as PersonInput;
      rejectReadOnlyFields(fields);
      const email = fields.email;
      if (typeof email === 'string' && email.trim() !== '') {
        // The store makes this atomic: concurrent calls for one email never create two persons.
        const { person, created } = await persons.upsertPersonByEmail(fields, 'api');
        return reply.code(created ? 201 : 200).send({ id: person.id, created });
      }
      const person = await persons.createPerson(fields, 'api');
      return reply.code(201).send({ id: person.id, created: true });
    },
  );
};
