import { registerGetMetricsRoute } from '../metrics.ts';
import { registerCampaignDeleteRoute } from './campaign-delete.ts';
import { registerCampaignGetRoute } from './campaign-get.ts';
import { registerCampaignListRoute } from './campaign-list.ts';
import { registerCampaignListRunsRoute } from './campaign-list-runs.ts';
import { registerCampaignPostRoute } from './campaign-post.ts';
import { registerCampaignPutRoute } from './campaign-put.ts';
import { registerFlowPostChangeOwnerRoute } from './flow-post-change-owner.ts';
import { registerFlowPostCreateTaskRoute } from './flow-post-create-task.ts';
import { registerFlowPostSyncToCrmRoute } from './flow-post-sync-to-crm.ts';
import { registerDeletePersonRoute } from './delete-person.ts';
import { registerGetClusterRoute } from './get-cluster.ts';
import { registerGetCrmRowRoute } from './get-crm-row.ts';
import { registerGetHealthRoute } from './get-health.ts';
import { registerGetOpenApiRoute } from './get-openapi.ts';
import { registerGetReadyRoute } from './get-ready.ts';
import { registerGetPersonRoute } from './get-person.ts';
import { registerListCrmRowsRoute } from './list-crm-rows.ts';
import { registerListPersonActivitiesRoute } from './list-person-activities.ts';
import { registerListPersonFieldsRoute } from './list-person-fields.ts';
import { registerListPersonsRoute } from './list-persons.ts';
import { registerPatchPersonRoute } from './patch-person.ts';
import { registerPostPersonFieldRoute } from './post-person-field.ts';
import { registerPostPersonRoute } from './post-person.ts';
import type { RouteRegistration } from './route.ts';
import { registerSyncGetStatusRoute } from './sync-get-status.ts';
import { registerSyncPostEnableRoute } from './sync-post-enable.ts';
import { registerSyncPostDisableRoute } from './sync-post-disable.ts';
import { registerSyncPostPassRoute } from './sync-post-pass.ts';
import { registerSyncListPassesRoute } from './sync-list-passes.ts';
import { registerSyncPostResyncRoute } from './sync-post-resync.ts';
import { registerSyncGetPreviewRoute } from './sync-get-preview.ts';
import { registerSyncListFieldsRoute } from './sync-list-fields.ts';
import { registerSyncPutFieldsRoute } from './sync-put-fields.ts';
import { registerSyncListErrorsRoute } from './sync-list-errors.ts';
import { registerSyncRetryErrorRoute } from './sync-retry-error.ts';
import { registerSyncListConflictsRoute } from './sync-list-conflicts.ts';
import { registerSyncListNotificationsRoute } from './sync-list-notifications.ts';
import { registerWebhookPostDataverseRoute } from './webhook-post-dataverse.ts';

/** Every endpoint of the API; a new endpoint file adds itself here. */
export const routeRegistrations: readonly RouteRegistration[] = [
  registerGetHealthRoute,
  registerGetReadyRoute,
  registerGetOpenApiRoute,
  registerPostPersonRoute,
  registerListPersonsRoute,
  registerGetPersonRoute,
  registerPatchPersonRoute,
  registerDeletePersonRoute,
  registerListPersonActivitiesRoute,
  registerListPersonFieldsRoute,
  registerPostPersonFieldRoute,
  registerListCrmRowsRoute,
  registerGetCrmRowRoute,
  registerGetMetricsRoute,
  registerSyncGetStatusRoute,
  registerSyncPostEnableRoute,
  registerSyncPostDisableRoute,
  registerSyncPostPassRoute,
  registerSyncListPassesRoute,
  registerSyncPostResyncRoute,
  registerSyncGetPreviewRoute,
  registerSyncListFieldsRoute,
  registerSyncPutFieldsRoute,
  registerSyncListErrorsRoute,
  registerSyncRetryErrorRoute,
  registerSyncListConflictsRoute,
  registerSyncListNotificationsRoute,
  registerGetClusterRoute,
  registerFlowPostSyncToCrmRoute,
  registerFlowPostChangeOwnerRoute,
  registerFlowPostCreateTaskRoute,
  registerCampaignListRoute,
  registerCampaignPostRoute,
  registerCampaignGetRoute,
  registerCampaignPutRoute,
  registerCampaignDeleteRoute,
  registerCampaignListRunsRoute,
  registerWebhookPostDataverseRoute,
];
