import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { CrmRow, CrmRowParams } from '../contracts/crm-row.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import { assertMirrorEntity } from './crm-entity.ts';
import type { RouteRegistration } from './route.ts';

export const registerGetCrmRowRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/crm/:entity/:id',
    {
      schema: {
        summary: 'One mirror row (tombstones included, with deleted: true)',
        tags: ['crm mirror'],
        params: CrmRowParams,
        response: { 200: CrmRow, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const { entity, id } = request.params;
      await assertMirrorEntity(dependencies, entity);
      // CRM ids are GUIDs; Dataverse writes them lower-case, clients may not.
      const row = await dependencies.mirror.getMirrorRow(entity, id.toLowerCase());
      if (row === undefined) {
        throw new SynclineError('NOT_FOUND', `No ${entity} with id ${id}.`, { details: { entity, id } });
      }
      return row;
    },
  );
};
