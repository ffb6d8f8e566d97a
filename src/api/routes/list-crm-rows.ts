import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { CrmEntityParams, CrmRowList } from '../contracts/crm-row.ts';
import { pageLimit, PageQuery } from '../contracts/pagination.ts';
import { assertMirrorEntity } from './crm-entity.ts';
import type { RouteRegistration } from './route.ts';

export const registerListCrmRowsRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/crm/:entity',
    {
      schema: {
        summary: 'Mirror rows of a one-way CRM entity (account, systemuser, team, opportunity, custom)',
        tags: ['crm mirror'],
        params: CrmEntityParams,
        querystring: PageQuery,
        response: { 200: CrmRowList, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { entity } = request.params;
      await assertMirrorEntity(dependencies, entity);
      const { limit, cursor } = request.query;
      return dependencies.mirror.listMirrorRows(entity, {
        limit: limit ?? pageLimit.default,
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );
};
