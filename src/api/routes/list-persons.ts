import { commonErrorResponses } from '../contracts/error-body.ts';
import { pageLimit } from '../contracts/pagination.ts';
import { ListPersonsQuery, PersonList } from '../contracts/person.ts';
import { toPersonBody } from './person-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerListPersonsRoute: RouteRegistration = (app, { persons }) => {
  app.get(
    '/api/v1/persons',
    {
      schema: {
        summary: 'List persons, filtered, one page at a time',
        tags: ['persons'],
        querystring: ListPersonsQuery,
        response: { 200: PersonList, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { email, crmType, updatedSince, limit, cursor } = request.query;
      const page = await persons.listPersons({
        ...(email === undefined ? {} : { email }),
        ...(crmType === undefined ? {} : { crmType }),
        ...(updatedSince === undefined ? {} : { updatedSince: new Date(updatedSince).toISOString() }),
        ...(cursor === undefined ? {} : { cursor }),
        limit: limit ?? pageLimit.default,
      });
      return { items: page.items.map(toPersonBody), nextCursor: page.nextCursor };
    },
  );
};
