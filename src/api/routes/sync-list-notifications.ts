import { commonErrorResponses, ErrorBody } from '../contracts/error-body.ts';
import { PageQuery } from '../contracts/pagination.ts';
import { SyncNotificationList } from '../contracts/sync-notification.ts';
import type { RouteRegistration } from './route.ts';
import { pageRequest, requireSyncAdmin } from './sync-admin-required.ts';

export const registerSyncListNotificationsRoute: RouteRegistration = (app, dependencies) => {
  app.get(
    '/api/v1/notifications',
    {
      schema: {
        summary: 'Notifications: initial load and backfills done, failed passes, quarantined fields… (B6.6)',
        tags: ['sync'],
        querystring: PageQuery,
        response: { 200: SyncNotificationList, 503: ErrorBody, ...commonErrorResponses },
      },
    },
    async (request) => requireSyncAdmin(dependencies).listNotifications(pageRequest(request.query)),
  );
};
