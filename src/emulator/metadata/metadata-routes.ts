import { odataError, segmentNotFound, unknownProperty } from '../http/dataverse-error.ts';
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from '../http/emulator-request.ts';
import { parseKey, type PathSegment } from '../http/odata-path.ts';
import { compileFilter, type FilterSchema } from '../query/filter-compiler.ts';
import type { QueryOptions } from '../query/query-options.ts';
import type { AttributeDefinition } from './attribute-definition.ts';
import type { Catalog } from './catalog.ts';
import type { EntityDefinition } from './entity-definition.ts';
import {
  attributeJson,
  baseAttributeProperties,
  castProperties,
  entityJson,
  metadataTypeOf,
  optionSetJson,
  optionSetNavigation,
} from './metadata-json.ts';

/** `EntityDefinitions`, `…/Attributes` with casts, `$select`, `$filter` and `$expand` (reference §7). */

type Json = Record<string, unknown>;
interface Expansion {
  readonly name: string;
  readonly select: string[] | undefined;
}

const castPrefix = 'Microsoft.Dynamics.CRM.';

export function entityDefinitions(
  catalog: Catalog,
  request: EmulatorRequest,
  options: QueryOptions,
  segments: PathSegment[],
): EmulatorResponse {
  if (request.method !== 'GET')
    throw odataError(`The emulator's metadata is read-only for '${request.method}'.`, 405);
  const base = `${request.baseUrl}$metadata#`;
  const [root, attributes, cast] = segments;
  if (root.key === undefined) {
    if (segments.length > 1) throw segmentNotFound(segments[1].name);
    const expand = parseExpand(options.expand, ['Attributes']);
    let entities = [...catalog.entities.values()];
    if (options.filter) {
      const predicate = compileFilter(
        options.filter,
        jsonSchema(Object.keys(entityJson(entities[0])), 'EntityMetadata'),
      );
      entities = entities.filter((e) => predicate(entityJson(e)));
    }
    const value = entities.map((e) => projectEntity(e, options.select, expand));
    return json({ '@odata.context': `${base}EntityDefinitions${selection(options.select)}`, value });
  }
  const entity = findEntity(catalog, root.key);
  if (!attributes) {
    const expand = parseExpand(options.expand, ['Attributes']);
    return json({
      '@odata.context': `${base}EntityDefinitions${selection(options.select)}/$entity`,
      ...projectEntity(entity, options.select, expand),
    });
  }
  if (attributes.name === 'Keys' && attributes.key === undefined) {
    const value = entity.keys.map((k) => ({
      MetadataId: k.metadataId,
      LogicalName: k.logicalName,
      SchemaName: k.logicalName,
      KeyAttributes: k.attributes,
      EntityLogicalName: entity.logicalName,
      EntityKeyIndexStatus: 'Active',
    }));
    return json({ '@odata.context': `${base}EntityDefinitions('${entity.logicalName}')/Keys`, value });
  }
  if (attributes.name !== 'Attributes') throw segmentNotFound(attributes.name);
  if (segments.length > 3) throw segmentNotFound(segments[3].name);
  const castType = cast === undefined ? undefined : castName(cast);
  const expand = parseExpand(options.expand, ['OptionSet', 'GlobalOptionSet']);
  const context = `${base}EntityDefinitions('${entity.logicalName}')/Attributes${castType ? `/${castPrefix}${castType}` : ''}${selection(options.select)}`;
  if (attributes.key !== undefined) {
    const attribute = findAttribute(entity, attributes.key);
    if (castType && metadataTypeOf(attribute.type) !== castType) {
      throw odataError(`The attribute '${attribute.logicalName}' is not of type '${castPrefix}${castType}'.`);
    }
    return json({
      '@odata.context': `${context}/$entity`,
      ...projectAttribute(entity, attribute, castType, options.select, expand),
    });
  }
  let list = entity.attributes.filter((a) => castType === undefined || metadataTypeOf(a.type) === castType);
  if (options.filter) {
    const properties = [...baseAttributeProperties, ...(castType ? castProperties[castType] : [])];
    const predicate = compileFilter(options.filter, jsonSchema(properties, castType ?? 'AttributeMetadata'));
    list = list.filter((a) => predicate(attributeJson(entity, a)));
  }
  const value = list.map((a) => projectAttribute(entity, a, castType, options.select, expand));
  return json({ '@odata.context': context, value });
}

function json(body: Json): EmulatorResponse {
  return jsonResponse(200, JSON.stringify(body));
}

function selection(select: string[] | undefined): string {
  return select ? `(${select.join(',')})` : '';
}

function castName(segment: PathSegment): string {
  const name = segment.name.startsWith(castPrefix) ? segment.name.slice(castPrefix.length) : undefined;
  if (name === 'EnumAttributeMetadata')
    throw odataError(
      `Casting to '${segment.name}' is not supported; cast to the concrete type (PicklistAttributeMetadata, StateAttributeMetadata…).`,
    );
  if (!name || !(name in castProperties) || segment.key !== undefined) throw segmentNotFound(segment.name);
  return name;
}

export function findEntity(catalog: Catalog, keyText: string): EntityDefinition {
  const key = parseKey(keyText);
  const entity =
    key.kind === 'id'
      ? [...catalog.entities.values()].find((e) => e.metadataId === key.id)
      : catalog.entity(String(key.values.get('LogicalName') ?? ''));
  if (!entity) throw odataError(`Could not find entity with key '${keyText}'.`, 404);
  return entity;
}

export function findAttribute(entity: EntityDefinition, keyText: string): AttributeDefinition {
  const key = parseKey(keyText);
  const attribute =
    key.kind === 'id'
      ? entity.attributes.find((a) => a.metadataId === key.id)
      : entity.byName.get(String(key.values.get('LogicalName') ?? ''));
  if (!attribute)
    throw odataError(
      `Could not find attribute with key '${keyText}' on entity '${entity.logicalName}'.`,
      404,
    );
  return attribute;
}

function parseExpand(text: string | undefined, allowed: readonly string[]): Expansion[] {
  if (text === undefined) return [];
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim()) items.push(current.trim());
  return items.map((item) => {
    const match = /^(\w+)(?:\((.*)\))?$/.exec(item);
    if (!match || !allowed.includes(match[1]))
      throw odataError(`Could not find a property named '${item}' to expand.`);
    const select = match[2] ? /\$select=([^;]*)/.exec(match[2])?.[1] : undefined;
    return { name: match[1], select: select?.split(',').map((s) => s.trim()) };
  });
}

function pick(
  source: Json,
  select: string[] | undefined,
  allowed: readonly string[],
  typeName: string,
  always: string[],
): Json {
  if (!select) return source;
  const out: Json = {};
  for (const key of always) if (key in source) out[key] = source[key];
  for (const name of select) {
    if (!allowed.includes(name)) throw unknownProperty(name, typeName);
    if (name in source) out[name] = source[name];
  }
  return out;
}

function projectEntity(entity: EntityDefinition, select: string[] | undefined, expand: Expansion[]): Json {
  const full = entityJson(entity);
  const out = pick(
    full,
    select?.filter((s) => s !== 'Attributes'),
    Object.keys(full),
    'EntityMetadata',
    ['MetadataId'],
  );
  for (const e of expand) {
    out.Attributes = entity.attributes.map((a) => projectAttribute(entity, a, undefined, e.select, []));
  }
  return out;
}

function projectAttribute(
  entity: EntityDefinition,
  a: AttributeDefinition,
  castType: string | undefined,
  select: string[] | undefined,
  expand: Expansion[],
): Json {
  const full = attributeJson(entity, a);
  const ownType = metadataTypeOf(a.type);
  const allowed = [...baseAttributeProperties, ...(castType ? castProperties[castType] : [])];
  const out = pick(
    full,
    select?.filter((s) => !optionSetNavigation.has(s)),
    allowed,
    castType ?? 'AttributeMetadata',
    ['@odata.type', 'MetadataId'],
  );
  if (select?.some((s) => optionSetNavigation.has(s)) && !castType) {
    throw unknownProperty(
      select.find((s) => optionSetNavigation.has(s))!,
      'AttributeMetadata',
    );
  }
  for (const e of expand) {
    if (!castProperties[ownType].includes(e.name))
      throw unknownProperty(e.name, castType ?? 'AttributeMetadata');
    const options = optionSetJson(entity, a);
    const isGlobal = a.optionSetName !== undefined;
    const value = e.name === 'GlobalOptionSet' && !isGlobal ? null : (options ?? null);
    out[e.name] =
      value && e.select
        ? pick(value, e.select, Object.keys(value), 'OptionSetMetadata', ['MetadataId'])
        : value;
  }
  return out;
}

/** `$filter` over metadata JSON: property paths like `RequiredLevel/Value`, compared as plain values. */
function jsonSchema(properties: readonly string[], typeName: string): FilterSchema<Json> {
  return {
    property(path: string) {
      const parts = path.split('/');
      if (!properties.includes(parts[0])) throw unknownProperty(parts[0], typeName);
      return {
        kind: 'any',
        get: (subject: Json) =>
          parts.reduce<unknown>((value, part) => (value as Json | null | undefined)?.[part], subject),
      };
    },
  };
}
