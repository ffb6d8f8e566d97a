import { Type } from 'typebox';
import { CampaignIdParams } from '../contracts/campaign-body.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { campaignNotFound } from './campaign-validation.ts';
import type { RouteRegistration } from './route.ts';

export const registerCampaignDeleteRoute: RouteRegistration = (app, { campaigns }) => {
  app.delete(
    '/api/v1/campaigns/:id',
    {
      schema: {
        summary: 'Delete a trigger campaign and its runs',
        tags: ['campaigns'],
        params: CampaignIdParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      if (!(await campaigns.deleteCampaign(request.params.id))) throw campaignNotFound(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
