import { ActivityList } from '../contracts/activity.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { pageLimit, PageQuery } from '../contracts/pagination.ts';
import { PersonIdParams } from '../contracts/person.ts';
import { personNotFound } from './person-body.ts';
import type { RouteRegistration } from './route.ts';

export const registerListPersonActivitiesRoute: RouteRegistration = (app, { persons }) => {
  app.get(
    '/api/v1/persons/:id/activities',
    {
      schema: {
        summary: "A person's activity log, newest first",
        tags: ['persons'],
        params: PersonIdParams,
        querystring: PageQuery,
        response: { 200: ActivityList, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      if ((await persons.getPerson(id)) === undefined) throw personNotFound(id);
      const { limit, cursor } = request.query;
      const page = await persons.listActivities(id, {
        limit: limit ?? pageLimit.default,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return {
        items: page.items.map(({ id: activityId, type, at, attributes }) => ({
          id: activityId,
          type,
          at,
          attributes,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
};
