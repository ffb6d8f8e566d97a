import { bulkAction, isBulkAction } from '../actions/bulk-actions.ts';
import { merge } from '../actions/merge.ts';
import { qualifyLead } from '../actions/qualify-lead.ts';
import { writeEntityDefinitions } from '../metadata/attribute-writes.ts';
import { entityDefinitions } from '../metadata/metadata-routes.ts';
import { insertOptionValue } from '../metadata/insert-option-value.ts';
import { retrieveMetadataChanges } from '../metadata/retrieve-metadata-changes.ts';
import { csdl } from '../metadata/csdl.ts';
import {
  countCollection,
  queryCollection,
  type QueryContext,
  type SortCache,
} from '../query/collection-query.ts';
import { parseQueryOptions } from '../query/query-options.ts';
import {
  createInCollection,
  deleteOne,
  patchOne,
  retrieveOne,
  singleProperty,
} from '../records/record-routes.ts';
import { navigationRoute } from '../records/navigation-routes.ts';
import { requireGuid } from '../records/record-writer.ts';
import { assertTablePrivilege, type FieldSecurity } from '../security/field-security.ts';
import { profileAssociation } from '../security/profile-association.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import { odataError, segmentNotFound, unknownProperty } from './dataverse-error.ts';
import type { EmulatorRequest, EmulatorResponse, Usage } from './emulator-request.ts';
import {
  retrievePrincipalAttributePrivileges,
  retrieveTotalRecordCount,
  serviceDocument,
  whoAmI,
} from './functions.ts';
import { parseResourcePath } from './odata-path.ts';

export interface RouterDeps {
  readonly state: EmulatorState;
  readonly fls: FieldSecurity;
  readonly sortCache: SortCache;
}

const notAllowed = (method: string) =>
  odataError(`The requested resource does not support http method '${method}'.`, 405);

const unqualified = (name: string) => name.replace(/^Microsoft\.Dynamics\.CRM\./, '');

/** Routes one authenticated Web API request by its OData resource path. */
export function routeWebApi(deps: RouterDeps, request: EmulatorRequest, usage: Usage): EmulatorResponse {
  const { state } = deps;
  const options = parseQueryOptions(request.query);
  const segments = parseResourcePath(request.path);
  const [first, second] = segments;
  const method = request.method;

  if (first.name === '' && segments.length === 1) {
    if (method !== 'GET') throw notAllowed(method);
    return serviceDocument(state, request);
  }
  if (first.name === '$metadata') {
    if (method !== 'GET') throw notAllowed(method);
    const annotations = options.other.get('annotations') === 'true' || request.annotations.any;
    return {
      status: 200,
      headers: { 'Content-Type': 'application/xml', 'OData-Version': '4.0' },
      body: csdl(state.catalog, annotations),
    };
  }
  if (first.name === 'WhoAmI' && segments.length === 1) {
    if (method !== 'GET') throw notAllowed(method);
    return whoAmI(request);
  }
  if (
    (first.name === 'RetrieveTotalRecordCount' ||
      first.name === 'Microsoft.Dynamics.CRM.RetrieveTotalRecordCount') &&
    segments.length === 1
  ) {
    if (method !== 'GET') throw notAllowed(method);
    return retrieveTotalRecordCount(state, request, first.key, options);
  }
  if (first.name === 'EntityDefinitions') {
    if (method === 'GET') state.stats.metadata.entityDefinitions += 1;
    if (method !== 'GET') return writeEntityDefinitions(state.catalog, request, segments);
    return entityDefinitions(state.catalog, request, options, segments);
  }
  if (unqualified(first.name) === 'RetrieveMetadataChanges' && segments.length === 1) {
    if (method !== 'GET') throw notAllowed(method);
    const since = /ClientVersionStamp\s*=/.test(first.key ?? '');
    state.stats.metadata[since ? 'changesSince' : 'changesFull'] += 1;
    return retrieveMetadataChanges(state.catalog, request, first.key, options.other);
  }
  if (unqualified(first.name) === 'InsertOptionValue' && segments.length === 1) {
    if (method !== 'POST') throw notAllowed(method);
    return insertOptionValue(state.catalog, request);
  }
  if ((first.name === 'Merge' || first.name === 'Microsoft.Dynamics.CRM.Merge') && segments.length === 1) {
    if (method !== 'POST') throw notAllowed(method);
    return merge(deps, request, usage);
  }

  const entity = state.catalog.entitySet(first.name);
  if (!entity) throw segmentNotFound(first.name);
  const ctx: QueryContext = {
    ...deps,
    request,
    entity,
    table: state.table(entity.logicalName),
    options,
    usage,
  };

  if (segments.length === 1) {
    if (first.key === undefined) {
      if (method === 'GET') {
        assertTablePrivilege(request.caller, entity, 'Read');
        return queryCollection(ctx);
      }
      if (method === 'POST') return createInCollection(ctx);
      throw notAllowed(method);
    }
    if (method === 'GET') return retrieveOne(ctx, first.key);
    if (method === 'PATCH') return patchOne(ctx, first.key);
    if (method === 'DELETE') return deleteOne(ctx, first.key);
    throw notAllowed(method);
  }
  if (first.key === undefined) {
    if (isBulkAction(second.name) && segments.length === 2) {
      if (method !== 'POST') throw notAllowed(method);
      return bulkAction(ctx, second.name);
    }
    if (second.name === '$count' && segments.length === 2) {
      if (method !== 'GET') throw notAllowed(method);
      assertTablePrivilege(request.caller, entity, 'Read');
      return countCollection(ctx);
    }
    throw segmentNotFound(second.name);
  }
  if (
    second.name === 'Microsoft.Dynamics.CRM.RetrievePrincipalAttributePrivileges' &&
    entity.logicalName === 'systemuser'
  ) {
    if (method !== 'GET') throw notAllowed(method);
    return retrievePrincipalAttributePrivileges(state, deps.fls, request, requireGuid(first.key));
  }
  if (
    second.name === 'Microsoft.Dynamics.CRM.QualifyLead' &&
    entity.logicalName === 'lead' &&
    segments.length === 2
  ) {
    if (method !== 'POST') throw notAllowed(method);
    return qualifyLead(deps, request, usage, requireGuid(first.key));
  }
  if (second.name === 'systemuserprofiles_association')
    return profileAssociation(ctx, requireGuid(first.key), segments.slice(1));
  const navigated = navigationRoute(ctx, first.key, segments);
  if (navigated) return navigated;
  if (segments.length === 2) return singleProperty(ctx, first.key, second.name);
  // `…/<not a navigation property>/$ref`: Dataverse names the property, as for an unknown `@odata.bind`.
  if (segments.length === 3 && segments[2].name === '$ref')
    throw unknownProperty(second.name, entity.logicalName);
  throw segmentNotFound(segments[2].name);
}
