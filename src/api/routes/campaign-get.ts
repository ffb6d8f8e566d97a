import { Campaign, CampaignIdParams } from '../contracts/campaign-body.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { campaignNotFound, toCampaignBody } from './campaign-validation.ts';
import type { RouteRegistration } from './route.ts';

export const registerCampaignGetRoute: RouteRegistration = (app, { campaigns }) => {
  app.get(
    '/api/v1/campaigns/:id',
    {
      schema: {
        summary: 'Get a trigger campaign',
        tags: ['campaigns'],
        params: CampaignIdParams,
        response: { 200: Campaign, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const campaign = await campaigns.getCampaign(request.params.id);
      if (campaign === undefined) throw campaignNotFound(request.params.id);
      return toCampaignBody(campaign);
    },
  );
};
