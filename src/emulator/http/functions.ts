import { emulatorFixtures } from '../emulator-fixtures.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import { notFound } from './dataverse-error.ts';
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from './emulator-request.ts';

/** `GET WhoAmI()` (reference §9). */
export function whoAmI(request: EmulatorRequest): EmulatorResponse {
  return jsonResponse(
    200,
    JSON.stringify({
      '@odata.context': `${request.baseUrl}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: emulatorFixtures.businessUnitId,
      UserId: request.caller.userId,
      OrganizationId: emulatorFixtures.organizationId,
    }),
  );
}

/** `GET systemusers(<id>)/Microsoft.Dynamics.CRM.RetrievePrincipalAttributePrivileges()` (reference §8). */
export function retrievePrincipalAttributePrivileges(
  state: EmulatorState,
  fls: FieldSecurity,
  request: EmulatorRequest,
  userId: string,
): EmulatorResponse {
  if (!state.table('systemuser').get(userId)) throw notFound('SystemUser', userId);
  const isAdmin = userId === emulatorFixtures.adminUserId;
  const privileges = fls.attributePrivileges(userId, isAdmin).map(({ attribute, permission }) => ({
    AttributeId: attribute.metadataId,
    CanCreate: permission.canCreate,
    CanRead: permission.canRead,
    CanUpdate: permission.canUpdate,
  }));
  return jsonResponse(
    200,
    JSON.stringify({
      '@odata.context': `${request.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrievePrincipalAttributePrivilegesResponse`,
      AttributePrivileges: privileges,
    }),
  );
}

/** The service document lists every entity set (reference §7). */
export function serviceDocument(state: EmulatorState, request: EmulatorRequest): EmulatorResponse {
  const value = [...state.catalog.entities.values()].map((e) => ({
    name: e.entitySetName,
    kind: 'EntitySet',
    url: e.entitySetName,
  }));
  return jsonResponse(200, JSON.stringify({ '@odata.context': `${request.baseUrl}$metadata`, value }));
}
