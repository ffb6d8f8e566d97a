import { emulatorFixtures } from '../emulator-fixtures.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { QueryOptions } from '../query/query-options.ts';
import { assertTablePrivilege } from '../security/field-security.ts';
import { DataverseError, dataverseCodes, notFound, odataError } from './dataverse-error.ts';
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

/**
 * `GET RetrieveTotalRecordCount(EntityNames=@p1)?@p1=["account","contact"]` (also with the list inline, in
 * single or double quotes): each named table's row count from the snapshot (docs/emulator.md "Record counts"),
 * as the `EntityRecordCountCollection` complex type — `Keys` in request order, `Values` the counts.
 */
export function retrieveTotalRecordCount(
  state: EmulatorState,
  request: EmulatorRequest,
  parameters: string | undefined,
  options: QueryOptions,
): EmulatorResponse {
  const names = entityNamesParameter(parameters, options);
  const entities = names.map((name) => {
    const entity = state.catalog.entity(name);
    if (!entity) {
      // Emulator choice (docs/emulator.md): the message Dataverse gives for an unknown logical name elsewhere.
      throw new DataverseError(
        404,
        dataverseCodes.objectDoesNotExist,
        `The entity with a name = '${name}' with namemapping = 'Logical' was not found in the MetadataCache.`,
      );
    }
    assertTablePrivilege(request.caller, entity, 'Read');
    return entity;
  });
  const snapshot = state.recordCounts.current(state.tables);
  const values = entities.map((entity) => snapshot.counts.get(entity.logicalName) ?? 0);
  return jsonResponse(
    200,
    JSON.stringify({
      '@odata.context': `${request.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveTotalRecordCountResponse`,
      EntityRecordCountCollection: {
        Count: entities.length,
        IsReadOnly: false,
        Keys: entities.map((entity) => entity.logicalName),
        Values: values,
      },
    }),
  );
}

/** `EntityNames=@p1` or `EntityNames=['a','b']`: a collection of logical names, quoted either way. */
function entityNamesParameter(parameters: string | undefined, options: QueryOptions): string[] {
  const match = /^\s*EntityNames\s*=\s*(.*?)\s*$/s.exec(parameters ?? '');
  if (!match) throw odataError(`The function 'RetrieveTotalRecordCount' needs the parameter 'EntityNames'.`);
  let value = match[1];
  if (value.startsWith('@')) {
    const aliased = options.aliases.get(value);
    if (aliased === undefined) throw odataError(`The parameter alias '${value}' is not defined.`);
    value = aliased.trim();
  }
  if (!value.startsWith('[') || !value.endsWith(']'))
    throw odataError(
      `The value of 'EntityNames' must be a collection of strings, like ["account","contact"].`,
    );
  const inner = value.slice(1, -1).trim();
  if (inner === '') return [];
  return inner.split(',').map((item) => {
    const quoted = /^(['"])([A-Za-z0-9_]+)\1$/.exec(item.trim());
    if (!quoted) throw odataError(`'${item.trim()}' is not a valid logical name in 'EntityNames'.`);
    return quoted[2].toLowerCase();
  });
}
