import { DataverseError, dataverseCodes, notFound } from '../http/dataverse-error.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import type { EntityDefinition } from '../metadata/entity-definition.ts';
import type { FieldSecurity } from '../security/field-security.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row } from '../state/row.ts';

/**
 * Reading an action's JSON parameters the way the OData reader does: every parameter is declared (unknown
 * names, missing non-nullable ones and wrong JSON types are rejected with ODataLib's texts), and entity-typed
 * parameters (`crmbaseentity`) name their type with `@odata.type` (reference §10).
 */

/** What action handlers need from the core. */
export interface ActionDeps {
  readonly state: EmulatorState;
  readonly fls: FieldSecurity;
}

export type ParameterType = 'Edm.Boolean' | 'Edm.Int32' | 'Edm.Guid' | 'entity';

export interface ParameterDeclaration {
  readonly type: ParameterType;
  readonly required: boolean;
}

export type ActionParameters = ReadonlyMap<string, unknown>;

/** A payload the OData reader rejects (same code as a malformed record body). */
export function payloadError(message: string): DataverseError {
  return new DataverseError(400, dataverseCodes.badPayload, message);
}

/** Parses and checks the body of `action` against its declared parameters. */
export function readParameters(
  action: string,
  body: string | undefined,
  declared: Readonly<Record<string, ParameterDeclaration>>,
): ActionParameters {
  let value: unknown;
  try {
    value = body === undefined || body.trim() === '' ? {} : JSON.parse(body);
  } catch (error) {
    throw payloadError(`Invalid JSON. ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw payloadError(`The parameters of the operation '${action}' must be a JSON object.`);
  const parameters = new Map<string, unknown>();
  for (const [name, given] of Object.entries(value as Record<string, unknown>)) {
    if (name.startsWith('@')) continue; // annotations on the parameter object carry no data
    const declaration = declared[name];
    if (!declaration)
      throw payloadError(
        `The parameter '${name}' in the request payload is not a valid parameter for the operation '${action}'.`,
      );
    checkType(name, given, declaration.type);
    parameters.set(name, given);
  }
  const missing = Object.entries(declared)
    .filter(([name, d]) => d.required && (!parameters.has(name) || parameters.get(name) === null))
    .map(([name]) => name);
  if (missing.length > 0)
    throw payloadError(
      `One or more parameters of the operation '${action}' are missing from the request payload. ` +
        `The missing parameters are: ${missing.join(', ')}.`,
    );
  return parameters;
}

function checkType(name: string, value: unknown, type: ParameterType): void {
  if (value === null) return;
  const ok =
    type === 'Edm.Boolean'
      ? typeof value === 'boolean'
      : type === 'Edm.Int32'
        ? typeof value === 'number' && Number.isInteger(value)
        : type === 'Edm.Guid'
          ? typeof value === 'string' && normalizeGuid(value) !== undefined
          : typeof value === 'object' && !Array.isArray(value);
  if (ok) return;
  const literal = typeof value === 'string' ? value : JSON.stringify(value);
  const expected = type === 'entity' ? 'Microsoft.Dynamics.CRM.crmbaseentity' : type;
  throw payloadError(
    `Cannot convert the literal '${literal}' of the parameter '${name}' to the expected type '${expected}'.`,
  );
}

/** The entity an entity-typed parameter names through `@odata.type` (`Microsoft.Dynamics.CRM.contact`). */
export function entityOfParameter(
  state: EmulatorState,
  action: string,
  name: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): EntityDefinition {
  const type = value['@odata.type'];
  if (typeof type !== 'string')
    throw payloadError(
      `The parameter '${name}' of the operation '${action}' needs an '@odata.type' annotation naming its ` +
        `entity type, e.g. "Microsoft.Dynamics.CRM.${allowed[0]}".`,
    );
  const logicalName = /^#?Microsoft\.Dynamics\.CRM\.(\w+)$/.exec(type)?.[1];
  const entity = logicalName === undefined ? undefined : state.catalog.entity(logicalName);
  if (!entity) throw payloadError(`The type '${type}' of the parameter '${name}' is not an entity type.`);
  if (!allowed.includes(entity.logicalName))
    throw new DataverseError(
      400,
      dataverseCodes.invalidArgument,
      `The parameter '${name}' of the operation '${action}' must be of type ` +
        `${allowed.map((a) => `'Microsoft.Dynamics.CRM.${a}'`).join(' or ')}, not '${type}'.`,
    );
  return entity;
}

/** An entity-typed parameter that refers to an existing record by its primary key. */
export function recordOfParameter(
  state: EmulatorState,
  action: string,
  name: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): { entity: EntityDefinition; id: string; row: Row } {
  const entity = entityOfParameter(state, action, name, value, allowed);
  const raw = value[entity.primaryId];
  const id = typeof raw === 'string' ? normalizeGuid(raw) : undefined;
  if (!id)
    throw payloadError(
      `The parameter '${name}' of the operation '${action}' must carry the record's primary key ` +
        `'${entity.primaryId}' as a GUID.`,
    );
  const row = state.table(entity.logicalName).get(id);
  if (!row) throw notFound(entity.logicalName, id);
  return { entity, id, row };
}
