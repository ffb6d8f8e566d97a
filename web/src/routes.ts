/**
 * The console's client-side routes. The server answers each of them with index.html (consoleRoutes in
 * src/api/static-ui.ts; tests/ui checks the two lists agree), so deep links and reloads work.
 */
export const paths = {
  dashboard: '/',
  fields: '/fields',
  errors: '/errors',
  conflicts: '/conflicts',
  persons: '/persons',
  person: '/persons/:id',
  campaigns: '/campaigns',
  campaign: '/campaigns/:id',
  notifications: '/notifications',
} as const;

export const personPath = (id: string): string => `/persons/${encodeURIComponent(id)}`;
export const campaignPath = (id: string): string => `/campaigns/${encodeURIComponent(id)}`;
export const newCampaignPath = '/campaigns/new';
