import { odataError } from '../http/dataverse-error.ts';
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from '../http/emulator-request.ts';
import type { AttributeDefinition } from './attribute-definition.ts';
import type { Catalog } from './catalog.ts';
import type { EntityDefinition } from './entity-definition.ts';
import { attributeJson, entityJson, metadataTypeOf, optionSetJson } from './metadata-json.ts';
import type { DeletedKind, MetadataHistory } from './metadata-history.ts';
import { matchesFilter, parseEntityQuery, type PropertiesExpression } from './metadata-query.ts';

type Json = Record<string, unknown>;

/** DeletedMetadataFilters members (Web API enum: no `Entity`, `Default` stands for it). */
const deletedFlags: Readonly<Record<string, number>> = {
  Default: 1,
  Attribute: 2,
  Relationship: 4,
  Label: 8,
  OptionSet: 16,
  All: 31,
};

/**
 * `GET RetrieveMetadataChanges(Query=@p1,ClientVersionStamp=@p2,DeletedMetadataFilters=@p3)?@p1=<JSON>&…`
 * (Microsoft's "Query schema definitions" and "Cache schema data" pages). Without a stamp: every entity the
 * query matches, with the requested properties (others null, MetadataId/LogicalName/HasChanged always) and
 * `HasChanged: null` throughout. With a stamp: only what changed since — an entity with `HasChanged: true` when
 * its own properties changed, `false` when only something below did; only changed or added attributes; an
 * option set that gained an option with `HasChanged: true`, all its options and only the new ones' labels. With
 * `DeletedMetadataFilters` too: the MetadataIds deleted since (attributes under `Attribute`), not filtered by
 * the query. An expired stamp (a reset since) → 400 `0x80044352`.
 */
export function retrieveMetadataChanges(
  catalog: Catalog,
  request: EmulatorRequest,
  parameterText: string | undefined,
  aliases: ReadonlyMap<string, string>,
): EmulatorResponse {
  const parameters = functionParameters(parameterText ?? '', aliases);
  const query = parseEntityQuery(parameters.get('Query'));
  const stampText = parameters.get('ClientVersionStamp');
  const stamp = stampText === undefined || stampText === 'null' ? undefined : stringLiteral(stampText);
  const since = stamp === undefined ? undefined : catalog.history.since(stamp);
  const deletedText = parameters.get('DeletedMetadataFilters');
  const deletedMask = deletedText === undefined ? 0 : deletedFilters(deletedText);
  const history = catalog.history;
  const entities: Json[] = [];
  for (const entity of catalog.entities.values()) {
    if (!matchesFilter(query.criteria, entityJson(entity))) continue;
    const entityChanged = since !== undefined && history.changedAfter(entity.metadataId, since);
    let attributes: Json[] | null = null;
    if (wants(query.properties, 'Attributes')) {
      attributes = [];
      for (const attribute of entity.attributes) {
        const json = attributeJson(entity, attribute);
        if (!matchesFilter(query.attributeQuery?.criteria, json)) continue;
        const own = since !== undefined && history.changedAfter(attribute.metadataId, since);
        const options = since !== undefined && history.optionSetChangedAfter(attribute.metadataId, since);
        if (since !== undefined && !own && !options) continue;
        const projection = query.attributeQuery?.properties;
        attributes.push(attributeOut(history, entity, attribute, json, projection, since, own));
      }
    }
    if (since !== undefined && !entityChanged && (attributes === null || attributes.length === 0)) continue;
    entities.push(entityOut(entity, query.properties, attributes, since, entityChanged));
  }
  const deleted =
    since === undefined || deletedMask === 0
      ? new Map<DeletedKind, string[]>()
      : history.deletedAfter(since, kindsOf(deletedMask));
  return jsonResponse(
    200,
    JSON.stringify({
      '@odata.context': `${request.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveMetadataChangesResponse`,
      ServerVersionStamp: history.stamp(),
      DeletedMetadata: {
        Count: deleted.size,
        IsReadOnly: false,
        Keys: [...deleted.keys()],
        Values: [...deleted.values()].map((ids) => ({ Items: ids })),
      },
      EntityMetadata: entities,
    }),
  );
}

function wants(properties: PropertiesExpression | undefined, name: string): boolean {
  return properties === undefined || properties.all || properties.names.includes(name);
}

/** Requested properties keep their value; the rest are null (MetadataId, LogicalName and HasChanged always kept). */
function project(full: Json, properties: PropertiesExpression | undefined): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(full)) {
    const kept =
      key === '@odata.type' || key === 'MetadataId' || key === 'LogicalName' || wants(properties, key);
    out[key] = kept ? value : null;
  }
  return out;
}

function entityOut(
  entity: EntityDefinition,
  properties: PropertiesExpression | undefined,
  attributes: Json[] | null,
  since: number | undefined,
  changed: boolean,
): Json {
  return {
    ...project(entityJson(entity), properties),
    Attributes: attributes,
    HasChanged: since === undefined ? null : changed,
  };
}

function attributeOut(
  history: MetadataHistory,
  entity: EntityDefinition,
  attribute: AttributeDefinition,
  json: Json,
  properties: PropertiesExpression | undefined,
  since: number | undefined,
  own: boolean,
): Json {
  const type = metadataTypeOf(attribute.type);
  const full: Json = { ...json, '@odata.type': `#Microsoft.Dynamics.CRM.Complex${type}` };
  const hasOptionSet = attribute.type === 'Boolean' || attribute.options !== undefined;
  if (hasOptionSet) full.OptionSet = optionSetOut(history, entity, attribute, since, own);
  const out = project(full, properties);
  out.HasChanged = since === undefined ? null : own;
  return out;
}

/**
 * A changed option set lists every current option; only options added since the stamp carry their label
 * (Microsoft: "Only the newly created option includes data for the Label property").
 */
function optionSetOut(
  history: MetadataHistory,
  entity: EntityDefinition,
  attribute: AttributeDefinition,
  since: number | undefined,
  created: boolean,
): Json | null {
  const set = optionSetJson(entity, attribute);
  if (set === undefined) return null;
  if (since === undefined || created) return set;
  const isNew = (option: Json) =>
    history.optionChangedAfter(attribute.metadataId, Number(option.Value), since);
  const options = Array.isArray(set.Options)
    ? (set.Options as Json[]).map((option) =>
        isNew(option) ? option : { ...option, Label: null, Description: null },
      )
    : set.Options;
  return { ...set, Options: options, HasChanged: true };
}

/** `Name=@alias,Name='literal',…` of a function call, with aliases resolved from the query string. */
function functionParameters(text: string, aliases: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of splitTopLevel(text)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw odataError('Bad Request - Error in query syntax.');
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('@')) {
      const resolved = aliases.get(value);
      if (resolved === undefined) throw odataError(`The parameter alias '${value}' is not defined.`);
      value = resolved;
    }
    if (
      ![
        'Query',
        'ClientVersionStamp',
        'DeletedMetadataFilters',
        'AppModuleId',
        'RetrieveAllSettings',
      ].includes(name)
    )
      throw odataError(`The function 'RetrieveMetadataChanges' has no parameter named '${name}'.`);
    out.set(name, value);
  }
  return out;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    else if (!quoted && (char === '{' || char === '[' || char === '(')) depth++;
    else if (!quoted && (char === '}' || char === ']' || char === ')')) depth--;
    if (char === ',' && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}

/** An OData string literal `'…'` ('' escapes a quote). */
function stringLiteral(text: string): string {
  if (!/^'.*'$/s.test(text))
    throw odataError(`ClientVersionStamp must be a string literal: '…', not ${text}.`);
  return text.slice(1, -1).replace(/''/g, "'");
}

/** `Microsoft.Dynamics.CRM.DeletedMetadataFilters'Attribute'` (flags joined by commas), or the bare number. */
function deletedFilters(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(?:Microsoft\.Dynamics\.CRM\.DeletedMetadataFilters)?'([^']*)'$/.exec(text);
  if (!match) throw odataError(`'${text}' is not a DeletedMetadataFilters value.`);
  return match[1].split(',').reduce((mask, name) => {
    const flag = deletedFlags[name.trim()];
    if (flag === undefined) throw odataError(`'${name.trim()}' is not a member of DeletedMetadataFilters.`);
    return mask | flag;
  }, 0);
}

function kindsOf(mask: number): Set<DeletedKind> {
  const kinds = new Set<DeletedKind>();
  if (mask & deletedFlags.Default) kinds.add('Default');
  if (mask & deletedFlags.Attribute) kinds.add('Attribute');
  return kinds;
}
