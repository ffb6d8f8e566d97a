import { CampaignIdParams, CampaignRunList } from '../contracts/campaign-body.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { PageQuery } from '../contracts/pagination.ts';
import { campaignNotFound, toRunPage } from './campaign-validation.ts';
import type { RouteRegistration } from './route.ts';
import { pageRequest } from './sync-admin-required.ts';

export const registerCampaignListRunsRoute: RouteRegistration = (app, { campaigns }) => {
  app.get(
    '/api/v1/campaigns/:id/runs',
    {
      schema: {
        summary: 'Runs of a trigger campaign with per-step outcomes, newest first (B7.5)',
        tags: ['campaigns'],
        params: CampaignIdParams,
        querystring: PageQuery,
        response: { 200: CampaignRunList, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      if ((await campaigns.getCampaign(request.params.id)) === undefined)
        throw campaignNotFound(request.params.id);
      return toRunPage(await campaigns.listCampaignRuns(request.params.id, pageRequest(request.query)));
    },
  );
};
