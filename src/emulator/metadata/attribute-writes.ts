import {
  badPayload,
  DataverseError,
  dataverseCodes,
  invalidArgument,
  odataError,
} from '../http/dataverse-error.ts';
import {
  emptyResponse,
  type Caller,
  type EmulatorRequest,
  type EmulatorResponse,
} from '../http/emulator-request.ts';
import type { PathSegment } from '../http/odata-path.ts';
import { isLookup } from '../records/record-serializer.ts';
import { attributeFromBody } from './attribute-body.ts';
import type { Catalog } from './catalog.ts';
import { addAttribute, removeAttribute } from './entity-definition.ts';
import { metadataId } from './metadata-id.ts';
import { findAttribute, findEntity } from './metadata-routes.ts';

/**
 * Metadata writes (reference §7, interfaces.md §7): create a custom column with
 * `POST EntityDefinitions(<key>)/Attributes` → 204 + `OData-EntityId`, and delete one with
 * `DELETE EntityDefinitions(<key>)/Attributes(<key>)` → 204. Administrators only. A created column is at once
 * in `Attributes`, `$metadata`, `$select`, `$filter` and writes; a deleted one is gone from all of them and the
 * values rows held are lost (its storage slot is never reused).
 */
export function writeEntityDefinitions(
  catalog: Catalog,
  request: EmulatorRequest,
  segments: readonly PathSegment[],
): EmulatorResponse {
  const [root, attributes] = segments;
  const method = request.method;
  const isAttributes = root.key !== undefined && attributes?.name === 'Attributes' && segments.length === 2;
  if (isAttributes && method === 'POST' && attributes.key === undefined) {
    assertCustomizer(request.caller, 'Create');
    return createAttribute(catalog, request, root.key!);
  }
  if (isAttributes && method === 'DELETE' && attributes.key !== undefined) {
    assertCustomizer(request.caller, 'Delete');
    return deleteAttribute(catalog, root.key!, attributes.key);
  }
  throw odataError(
    `The emulator's metadata API supports GET, POST EntityDefinitions(…)/Attributes and ` +
      `DELETE EntityDefinitions(…)/Attributes(…); '${method}' is not supported here.`,
    405,
  );
}

function createAttribute(catalog: Catalog, request: EmulatorRequest, entityKey: string): EmulatorResponse {
  const entity = findEntity(catalog, entityKey);
  const text = request.body ?? '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badPayload('EntityDefinitions', `Invalid JSON. ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badPayload('EntityDefinitions', 'The request body must be a JSON object.');
  const created = attributeFromBody(entity, body as Record<string, unknown>);
  if (created.metadataId && entity.attributes.some((a) => a.metadataId === created.metadataId))
    throw invalidArgument(`An attribute with MetadataId ${created.metadataId} already exists.`);
  // A fresh id per creation: a column deleted and created again is a different column to clients.
  const id =
    created.metadataId ??
    metadataId('attribute', entity.logicalName, created.spec.logicalName, String(entity.columnCount));
  const attribute = addAttribute(entity, created.spec, id);
  catalog.history.attributeCreated(attribute.metadataId);
  return emptyResponse(204, {
    'OData-EntityId': `${request.baseUrl}EntityDefinitions(${entity.metadataId})/Attributes(${attribute.metadataId})`,
  });
}

function deleteAttribute(catalog: Catalog, entityKey: string, attributeKey: string): EmulatorResponse {
  const entity = findEntity(catalog, entityKey);
  const attribute = findAttribute(entity, attributeKey);
  const name = attribute.logicalName;
  if (!attribute.custom)
    throw invalidArgument(
      `The attribute '${name}' of '${entity.logicalName}' is not a custom attribute and cannot be deleted.`,
    );
  const key = entity.keys.find((k) => k.attributes.includes(name));
  if (key)
    throw invalidArgument(
      `The attribute '${name}' is used by the alternate key '${key.logicalName}' and cannot be deleted; delete the key first.`,
    );
  if (name === entity.primaryName || name === entity.primaryId)
    throw invalidArgument(
      `The attribute '${name}' is the primary column of '${entity.logicalName}' and cannot be deleted.`,
    );
  if (isLookup(attribute))
    throw invalidArgument(
      `The lookup '${name}' belongs to a relationship; the emulator does not delete relationships (RelationshipDefinitions).`,
    );
  removeAttribute(entity, attribute);
  catalog.history.attributeDeleted(attribute.metadataId);
  return emptyResponse(204);
}

/** Creating, changing and deleting columns needs the System Customizer privileges the sync user does not have. */
export function assertCustomizer(caller: Caller, access: 'Create' | 'Write' | 'Delete'): void {
  if (caller.isAdmin) return;
  const privilege = `prv${access}Attribute`;
  throw new DataverseError(
    403,
    dataverseCodes.privilegeDenied,
    `Principal user (Id=${caller.userId}, type=8, roleCount=1, privilegeCount=412, accessMode=4), is missing ` +
      `${privilege} privilege (Id=${metadataId('privilege', privilege)}) on OTC=9808 for entity 'attribute' ` +
      `(LocalizedName='Attribute'). context.Caller=${caller.userId}`,
  );
}
