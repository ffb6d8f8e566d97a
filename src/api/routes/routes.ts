import { registerDeletePersonRoute } from './delete-person.ts';
import { registerGetCrmRowRoute } from './get-crm-row.ts';
import { registerGetHealthRoute } from './get-health.ts';
import { registerGetOpenApiRoute } from './get-openapi.ts';
import { registerGetPersonRoute } from './get-person.ts';
import { registerListCrmRowsRoute } from './list-crm-rows.ts';
import { registerListPersonActivitiesRoute } from './list-person-activities.ts';
import { registerListPersonFieldsRoute } from './list-person-fields.ts';
import { registerListPersonsRoute } from './list-persons.ts';
import { registerPatchPersonRoute } from './patch-person.ts';
import { registerPostPersonFieldRoute } from './post-person-field.ts';
import { registerPostPersonRoute } from './post-person.ts';
import type { RouteRegistration } from './route.ts';

/** Every endpoint of the API; a new endpoint file adds itself here. */
export const routeRegistrations: readonly RouteRegistration[] = [
  registerGetHealthRoute,
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
];
