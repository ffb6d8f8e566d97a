import { CampaignList } from '../contracts/campaign-body.ts';
import { commonErrorResponses } from '../contracts/error-body.ts';
import { PageQuery } from '../contracts/pagination.ts';
import { toCampaignPage } from './campaign-validation.ts';
import type { RouteRegistration } from './route.ts';
import { pageRequest } from './sync-admin-required.ts';

export const registerCampaignListRoute: RouteRegistration = (app, { campaigns }) => {
  app.get(
    '/api/v1/campaigns',
    {
      schema: {
        summary: 'Trigger campaigns, oldest first (B7.5)',
        tags: ['campaigns'],
        querystring: PageQuery,
        response: { 200: CampaignList, ...commonErrorResponses },
      },
    },
    async (request) => toCampaignPage(await campaigns.listCampaigns(pageRequest(request.query))),
  );
};
