import { Campaign, CampaignIdParams, CampaignInput } from '../contracts/campaign-body.ts';
import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { campaignNotFound, checkedCampaign, toCampaignBody } from './campaign-validation.ts';
import type { RouteRegistration } from './route.ts';

export const registerCampaignPutRoute: RouteRegistration = (app, { campaigns, persons }) => {
  app.put(
    '/api/v1/campaigns/:id',
    {
      schema: {
        summary: 'Replace a trigger campaign (e.g. enable or disable it)',
        tags: ['campaigns'],
        params: CampaignIdParams,
        body: CampaignInput,
        response: { 200: Campaign, 404: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => {
      const definition = await checkedCampaign(persons, request.body);
      const campaign = await campaigns.updateCampaign(request.params.id, definition);
      if (campaign === undefined) throw campaignNotFound(request.params.id);
      return toCampaignBody(campaign);
    },
  );
};
