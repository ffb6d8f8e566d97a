import type { AttributeMetadata, AttributePrivilege, EntityMetadata, WhoAmI } from '../connector.ts';
import { CrmError, isCrmError } from '../crm-error.ts';
import type { DataverseHttp } from './dataverse-http.ts';

/**
 * Dataverse metadata through the Web API (protocol reference §7–§9): `EntityDefinitions`, `Attributes` with
 * the type casts that carry MaxLength / option sets / lookup targets / date formats, `WhoAmI`, and the sync
 * user's field-level-security and role privileges.
 */

type Json = Record<string, unknown>;

/** GET as JSON; `identity` pins the request to one application user (its WhoAmI, its privileges). */
export async function getJson<T = Json>(
  http: DataverseHttp,
  path: string,
  signal?: AbortSignal,
  identity?: number,
): Promise<T> {
  const response = await http.send({ method: 'GET', path, signal, identity });
  try {
    return JSON.parse(response.text) as T;
  } catch (error) {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      `Dataverse answered non-JSON for ${path}.`,
      {
        cause: error,
      },
    );
  }
}

/** Logical names are `[a-z0-9_]`; anything else must not reach a URL. */
export function assertLogicalName(name: string): string {
  if (!/^[a-z][a-z0-9_]*$/i.test(name)) {
    throw new CrmError(
      { errorClass: 'record', reason: 'invalid-request' },
      `"${name}" is not a logical name.`,
    );
  }
  return name.toLowerCase();
}

export async function fetchWhoAmI(http: DataverseHttp, identity?: number): Promise<WhoAmI> {
  const body = await getJson<{ UserId?: string; BusinessUnitId?: string; OrganizationId?: string }>(
    http,
    'WhoAmI()',
    undefined,
    identity,
  );
  if (typeof body.UserId !== 'string') {
    throw new CrmError({ errorClass: 'pass', reason: 'protocol' }, 'WhoAmI answered without a UserId.');
  }
  return {
    userId: body.UserId,
    businessUnitId: String(body.BusinessUnitId ?? ''),
    organizationId: String(body.OrganizationId ?? ''),
  };
}

const entityColumns =
  'LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,ChangeTrackingEnabled,IsOptimisticConcurrencyEnabled';

export async function fetchEntity(http: DataverseHttp, name: string): Promise<EntityMetadata> {
  const logical = assertLogicalName(name);
  let row: Json;
  try {
    row = await getJson(http, `EntityDefinitions(LogicalName='${logical}')?$select=${entityColumns}`);
  } catch (error) {
    if (isCrmError(error) && error.httpStatus === 404) {
      throw new CrmError(
        { errorClass: 'pass', reason: 'unknown-entity' },
        `The CRM has no entity named '${logical}'.`,
        { crmCode: error.crmCode, httpStatus: 404, cause: error },
      );
    }
    throw error;
  }
  // The docs show a single-entity answer wrapped in `value` once; accept both shapes.
  const entity = (Array.isArray(row.value) ? (row.value[0] as Json) : row) ?? {};
  if (typeof entity.EntitySetName !== 'string' || typeof entity.PrimaryIdAttribute !== 'string') {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      `Entity metadata of '${logical}' lacks EntitySetName or PrimaryIdAttribute.`,
    );
  }
  return {
    logicalName: String(entity.LogicalName ?? logical),
    schemaName: String(entity.SchemaName ?? logical),
    entitySetName: entity.EntitySetName,
    primaryIdAttribute: entity.PrimaryIdAttribute,
    primaryNameAttribute:
      typeof entity.PrimaryNameAttribute === 'string' ? entity.PrimaryNameAttribute : undefined,
    changeTrackingEnabled: entity.ChangeTrackingEnabled === true,
    optimisticConcurrencyEnabled: entity.IsOptimisticConcurrencyEnabled === true,
  };
}

const attributeColumns =
  'LogicalName,SchemaName,MetadataId,AttributeType,AttributeTypeName,IsValidForRead,IsValidForCreate,' +
  'IsValidForUpdate,IsSecured,IsCustomAttribute,RequiredLevel,AttributeOf';

const optionExpand = '$expand=OptionSet($select=Options),GlobalOptionSet($select=Options)';

/** Casts that carry the details the engine needs (MaxLength, options, targets, date-only). */
const casts = {
  String: '$select=LogicalName,MaxLength',
  Memo: '$select=LogicalName,MaxLength',
  Picklist: `$select=LogicalName&${optionExpand}`,
  MultiSelectPicklist: `$select=LogicalName&${optionExpand}`,
  State: '$select=LogicalName&$expand=OptionSet($select=Options)',
  Status: '$select=LogicalName&$expand=OptionSet($select=Options)',
  Lookup: '$select=LogicalName,Targets',
  DateTime: '$select=LogicalName,Format,DateTimeBehavior',
} as const;

export async function fetchAttributes(http: DataverseHttp, name: string): Promise<AttributeMetadata[]> {
  const logical = assertLogicalName(name);
  const base = `EntityDefinitions(LogicalName='${logical}')/Attributes`;
  const [all, ...details] = await Promise.all([
    getJson<{ value: Json[] }>(http, `${base}?$select=${attributeColumns}`),
    ...Object.entries(casts).map(([type, query]) =>
      getJson<{ value: Json[] }>(http, `${base}/Microsoft.Dynamics.CRM.${type}AttributeMetadata?${query}`),
    ),
  ]);
  const extra = new Map<string, Json>();
  for (const detail of details) {
    for (const row of detail.value ?? []) {
      const key = String(row.LogicalName);
      extra.set(key, { ...extra.get(key), ...row });
    }
  }
  return (all.value ?? []).map((row) => toAttribute(row, extra.get(String(row.LogicalName)) ?? {}));
}

function toAttribute(row: Json, detail: Json): AttributeMetadata {
  const typeName = (row.AttributeTypeName as { Value?: string } | undefined)?.Value;
  const options = optionsOf(detail);
  const targets = Array.isArray(detail.Targets) ? detail.Targets.map(String) : undefined;
  const behavior = (detail.DateTimeBehavior as { Value?: string } | undefined)?.Value;
  return {
    logicalName: String(row.LogicalName),
    schemaName: String(row.SchemaName ?? row.LogicalName),
    metadataId: String(row.MetadataId ?? ''),
    attributeType: String(row.AttributeType ?? 'Virtual'),
    attributeTypeName: typeName,
    isValidForRead: row.IsValidForRead !== false,
    isValidForCreate: row.IsValidForCreate === true,
    isValidForUpdate: row.IsValidForUpdate === true,
    isSecured: row.IsSecured === true,
    isCustomAttribute: row.IsCustomAttribute === true,
    requiredLevel: (row.RequiredLevel as { Value?: string } | undefined)?.Value,
    attributeOf: typeof row.AttributeOf === 'string' && row.AttributeOf !== '' ? row.AttributeOf : undefined,
    ...(typeof detail.MaxLength === 'number' ? { maxLength: detail.MaxLength } : {}),
    ...(options ? { options } : {}),
    ...(targets ? { targets } : {}),
    ...(detail.Format === 'DateOnly' || behavior === 'DateOnly' ? { dateOnly: true } : {}),
  };
}

function optionsOf(detail: Json): { value: number; label: string }[] | undefined {
  const set = (detail.OptionSet ?? detail.GlobalOptionSet) as { Options?: Json[] } | null | undefined;
  if (!set || !Array.isArray(set.Options)) return undefined;
  return set.Options.map((option) => {
    const label = option.Label as
      { UserLocalizedLabel?: { Label?: string } | null; LocalizedLabels?: { Label?: string }[] } | undefined;
    return {
      value: Number(option.Value),
      label: String(label?.UserLocalizedLabel?.Label ?? label?.LocalizedLabels?.[0]?.Label ?? option.Value),
    };
  });
}

/** `RetrievePrincipalAttributePrivileges`: 0 = not allowed; any positive value (4 documented) = allowed. */
export async function fetchAttributePrivileges(
  http: DataverseHttp,
  userId: string,
  identity?: number,
): Promise<AttributePrivilege[]> {
  const body = await getJson<{ AttributePrivileges?: Json[] }>(
    http,
    `systemusers(${userId})/Microsoft.Dynamics.CRM.RetrievePrincipalAttributePrivileges()`,
    undefined,
    identity,
  );
  const allowed = (value: unknown) => value === true || (typeof value === 'number' && value > 0);
  return (body.AttributePrivileges ?? []).map((row) => ({
    attributeId: String(row.AttributeId).toLowerCase(),
    canRead: allowed(row.CanRead),
    canCreate: allowed(row.CanCreate),
    canUpdate: allowed(row.CanUpdate),
  }));
}

/**
 * The sync user's role privilege names (`prvWriteContact`…) via `RetrieveUserPrivileges`, or undefined when the
 * CRM does not offer the function (then `check` reports write access as unknown instead of guessing).
 */
export async function fetchUserPrivilegeNames(
  http: DataverseHttp,
  userId: string,
  identity?: number,
): Promise<Set<string> | undefined> {
  try {
    const body = await getJson<{ RolePrivileges?: Json[] }>(
      http,
      `systemusers(${userId})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`,
      undefined,
      identity,
    );
    return new Set((body.RolePrivileges ?? []).map((row) => String(row.PrivilegeName).toLowerCase()));
  } catch (error) {
    if (isCrmError(error) && error.errorClass !== 'transient' && error.reason !== 'auth') return undefined;
    throw error;
  }
}

/**
 * What every application user may do with the secured attributes: requests are spread over all of them, so a
 * column is read or written only where each one may — a column one user cannot read would come back empty
 * from its requests and look cleared (B5.1). An attribute missing from any list is not granted at all.
 */
export function commonAttributePrivileges(
  lists: readonly (readonly AttributePrivilege[])[],
): AttributePrivilege[] {
  const [first = [], ...rest] = lists;
  const others = rest.map((list) => new Map(list.map((privilege) => [privilege.attributeId, privilege])));
  return first.flatMap((privilege) => {
    const same = others.map((byId) => byId.get(privilege.attributeId));
    if (same.some((other) => other === undefined)) return [];
    const all = (flag: 'canRead' | 'canCreate' | 'canUpdate') =>
      privilege[flag] && same.every((other) => other![flag]);
    return [
      {
        attributeId: privilege.attributeId,
        canRead: all('canRead'),
        canCreate: all('canCreate'),
        canUpdate: all('canUpdate'),
      },
    ];
  });
}

/** The systemuser's full name (for status and metrics), or undefined when it cannot be read. */
export async function fetchUserName(
  http: DataverseHttp,
  userId: string,
  identity: number,
): Promise<string | undefined> {
  try {
    const row = await getJson(http, `systemusers(${userId})?$select=fullname`, undefined, identity);
    return typeof row.fullname === 'string' && row.fullname !== '' ? row.fullname : undefined;
  } catch (error) {
    if (isCrmError(error) && error.errorClass !== 'transient' && error.reason !== 'auth') return undefined;
    throw error;
  }
}
