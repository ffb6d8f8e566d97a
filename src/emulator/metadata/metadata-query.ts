import { odataError } from '../http/dataverse-error.ts';

/**
 * The `EntityQueryExpression` of `RetrieveMetadataChanges` (Microsoft's "Query schema definitions" page):
 * `Properties` (MetadataPropertiesExpression), `Criteria` (MetadataFilterExpression with `FilterOperator`,
 * `Conditions` and nested `Filters`), `AttributeQuery` (the same two for columns) and `LabelQuery` (accepted;
 * the emulator's labels are all 1033). `RelationshipQuery` and `KeyQuery` are refused: not emulated.
 */

type Json = Record<string, unknown>;

export interface PropertiesExpression {
  readonly all: boolean;
  readonly names: readonly string[];
}

export interface FilterExpression {
  readonly operator: 'And' | 'Or';
  readonly conditions: readonly Condition[];
  readonly filters: readonly FilterExpression[];
}

interface Condition {
  readonly property: string;
  readonly operator: 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'GreaterThan' | 'LessThan';
  /** Strings, numbers or booleans; a list for In / NotIn. */
  readonly value: unknown;
}

export interface EntityQuery {
  readonly properties: PropertiesExpression | undefined;
  readonly criteria: FilterExpression | undefined;
  readonly attributeQuery:
    { properties: PropertiesExpression | undefined; criteria: FilterExpression | undefined } | undefined;
}

const operators = ['Equals', 'NotEquals', 'In', 'NotIn', 'GreaterThan', 'LessThan'] as const;

const bad = (message: string) => odataError(`Invalid EntityQueryExpression: ${message}`);

/** The query as the function's `Query` parameter carries it (JSON); absent → every entity, every property. */
export function parseEntityQuery(text: string | undefined): EntityQuery {
  if (text === undefined || text === 'null')
    return { properties: undefined, criteria: undefined, attributeQuery: undefined };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw bad(`not JSON (${(error as Error).message}).`);
  }
  const query = object(json, 'Query');
  for (const unsupported of ['RelationshipQuery', 'KeyQuery']) {
    if (query[unsupported] !== undefined && query[unsupported] !== null)
      throw odataError(`${unsupported} is not supported by the emulator's RetrieveMetadataChanges.`);
  }
  const attributeQuery =
    query.AttributeQuery === undefined || query.AttributeQuery === null
      ? undefined
      : {
          properties: properties(
            object(query.AttributeQuery, 'AttributeQuery').Properties,
            'AttributeQuery.Properties',
          ),
          criteria: filter((query.AttributeQuery as Json).Criteria, 'AttributeQuery.Criteria'),
        };
  return {
    properties: properties(query.Properties, 'Properties'),
    criteria: filter(query.Criteria, 'Criteria'),
    attributeQuery,
  };
}

/** Does the metadata item (its JSON) satisfy the filter? Managed properties compare by their `Value`. */
export function matchesFilter(filter: FilterExpression | undefined, item: Json): boolean {
  if (filter === undefined) return true;
  const results = [
    ...filter.conditions.map((condition) => matchesCondition(condition, item)),
    ...filter.filters.map((nested) => matchesFilter(nested, item)),
  ];
  if (results.length === 0) return true;
  return filter.operator === 'And' ? results.every(Boolean) : results.some(Boolean);
}

function matchesCondition(condition: Condition, item: Json): boolean {
  let actual = item[condition.property];
  if (actual !== null && typeof actual === 'object' && 'Value' in actual) actual = (actual as Json).Value;
  const same = (expected: unknown) =>
    typeof actual === 'string' && typeof expected === 'string'
      ? actual.toLowerCase() === expected.toLowerCase()
      : actual === expected;
  switch (condition.operator) {
    case 'Equals':
      return same(condition.value);
    case 'NotEquals':
      return !same(condition.value);
    case 'In':
      return (condition.value as unknown[]).some(same);
    case 'NotIn':
      return !(condition.value as unknown[]).some(same);
    case 'GreaterThan':
      return typeof actual === 'number' && actual > Number(condition.value);
    case 'LessThan':
      return typeof actual === 'number' && actual < Number(condition.value);
  }
}

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad(`${path} must be an object.`);
  return value as Json;
}

function properties(value: unknown, path: string): PropertiesExpression | undefined {
  if (value === undefined || value === null) return undefined;
  const json = object(value, path);
  const names = json.PropertyNames ?? [];
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string'))
    throw bad(`${path}.PropertyNames must be a list of property names.`);
  return { all: json.AllProperties === true, names: names as string[] };
}

function filter(value: unknown, path: string): FilterExpression | undefined {
  if (value === undefined || value === null) return undefined;
  const json = object(value, path);
  const operator = json.FilterOperator ?? 'And';
  if (operator !== 'And' && operator !== 'Or') throw bad(`${path}.FilterOperator must be And or Or.`);
  const conditions = json.Conditions ?? [];
  const filters = json.Filters ?? [];
  if (!Array.isArray(conditions) || !Array.isArray(filters))
    throw bad(`${path}.Conditions and ${path}.Filters must be lists.`);
  return {
    operator,
    conditions: conditions.map((item, i) => condition(item, `${path}.Conditions[${i}]`)),
    filters: filters.map((item, i) => filter(item, `${path}.Filters[${i}]`)!),
  };
}

function condition(value: unknown, path: string): Condition {
  const json = object(value, path);
  const operator = json.ConditionOperator;
  if (!operators.includes(operator as Condition['operator']))
    throw bad(`${path}.ConditionOperator must be one of ${operators.join(', ')}.`);
  if (typeof json.PropertyName !== 'string' || json.PropertyName === '')
    throw bad(`${path}.PropertyName must name a property.`);
  const parsed = typedValue(json.Value, `${path}.Value`);
  const listy = operator === 'In' || operator === 'NotIn';
  if (listy !== Array.isArray(parsed))
    throw bad(
      `${path}: ${String(operator)} needs ${listy ? 'a System.String[] (or other array) value' : 'a single value'}.`,
    );
  return { property: json.PropertyName, operator: operator as Condition['operator'], value: parsed };
}

/** The Web API's `Object` complex type: `{"Type": "<.NET type>", "Value": "<text>"}`. */
function typedValue(value: unknown, path: string): unknown {
  const json = object(value, path);
  const type = json.Type;
  const text = json.Value;
  if (typeof type !== 'string')
    throw bad(`${path}.Type must name a .NET type (System.String, System.Boolean…).`);
  if (type.endsWith('[]')) {
    const items = Array.isArray(text) ? text : listLiteral(String(text), path);
    return items.map((item) => scalar(type.slice(0, -2), item, path));
  }
  return scalar(type, text, path);
}

/** `['a','b']` (Microsoft's PowerShell samples) or `["a","b"]`. */
function listLiteral(text: string, path: string): unknown[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']'))
    throw bad(`${path}.Value must be a list like ['a','b'].`);
  const inner = trimmed.slice(1, -1).trim();
  if (inner === '') return [];
  return inner.split(',').map((item) => item.trim().replace(/^(['"])(.*)\1$/s, '$2'));
}

function scalar(type: string, value: unknown, path: string): unknown {
  switch (type) {
    case 'System.Boolean':
      if (value === true || value === false) return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw bad(`${path}.Value must be True or False.`);
    case 'System.Int32': {
      const number = Number(value);
      if (!Number.isInteger(number)) throw bad(`${path}.Value must be a whole number.`);
      return number;
    }
    case 'System.String':
    case 'System.Guid':
    case 'System.DateTime':
    case 'Microsoft.Xrm.Sdk.Metadata.AttributeTypeCode':
    case 'Microsoft.Xrm.Sdk.Metadata.AttributeTypeDisplayName':
    case 'Microsoft.Xrm.Sdk.Metadata.AttributeRequiredLevel':
    case 'Microsoft.Xrm.Sdk.Metadata.OwnershipTypes':
    case 'Microsoft.Xrm.Sdk.Metadata.RelationshipType':
      return String(value);
    default:
      throw bad(`${path}.Type '${type}' is not a type the metadata query accepts.`);
  }
}
