import { Campaign, CampaignInput } from '../contracts/campaign-body.ts';
import { commonErrorResponses } from '../contracts/error-body.ts';
import { checkedCampaign, toCampaignBody } from './campaign-validation.ts';
import type { RouteRegistration } from './route.ts';

export const registerCampaignPostRoute: RouteRegistration = (app, { campaigns, persons }) => {
  app.post(
    '/api/v1/campaigns',
    {
      schema: {
        summary: 'Create a trigger campaign (B7.5); it fires for changes committed from now on',
        tags: ['campaigns'],
        body: CampaignInput,
        response: { 201: Campaign, ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const campaign = await campaigns.createCampaign(await checkedCampaign(persons, request.body));
      return reply.code(201).send(toCampaignBody(campaign));
    },
  );
};
