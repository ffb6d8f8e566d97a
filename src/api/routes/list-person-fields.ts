import { commonErrorResponses } from '../contracts/error-body.ts';
import { PersonFieldList } from '../contracts/person-field.ts';
import type { RouteRegistration } from './route.ts';

export const registerListPersonFieldsRoute: RouteRegistration = (app, { persons }) => {
  app.get(
    '/api/v1/person-fields',
    {
      schema: {
        summary: 'The person-field registry: standard, CRM-derived and marketing-only fields',
        tags: ['person fields'],
        response: { 200: PersonFieldList, ...commonErrorResponses },
      },
    },
    async () => persons.listPersonFields(),
  );
};
