import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { NewPersonField, PersonField } from '../contracts/person-field.ts';
import { isSystemField } from '../../domain/person-fields.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { RouteRegistration } from './route.ts';

/** Names a person already answers with (interfaces.md §4) besides its fields. */
const reservedNames = new Set(['id', 'createdAt', 'updatedAt']);

export const registerPostPersonFieldRoute: RouteRegistration = (app, { persons }) => {
  app.post(
    '/api/v1/person-fields',
    {
      schema: {
        summary: 'Add a marketing-only person field (never created in the CRM, B5.7)',
        tags: ['person fields'],
        body: NewPersonField,
        response: { 201: PersonField, 409: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const { name, type } = request.body;
      // Names compare case-insensitively so a client cannot add `Email` beside `email`.
      const taken = (await persons.listPersonFields()).some(
        (field) => field.name.toLowerCase() === name.toLowerCase(),
      );
      if (taken || isSystemField(name) || reservedNames.has(name)) {
        throw new SynclineError('CONFLICT', `A person field named "${name}" already exists.`, {
          details: { name },
        });
      }
      // The store enforces uniqueness too, for a concurrent add of the same name.
      const field = await persons.addPersonField({ name, type, source: 'marketing' });
      return reply.code(201).send(field);
    },
  );
};
