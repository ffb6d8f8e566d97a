import odataParser from 'odata-v4-parser';
import { odataError } from '../http/dataverse-error.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import { parseDate } from '../records/value-codec.ts';

/**
 * `$filter` → predicate. The text is parsed into a syntax tree by `odata-v4-parser` (JayStack's OData v4 ABNF
 * parser; chosen over its fork `@odata/parser` because it has no runtime dependencies and the same tree),
 * then compiled once into closures that run per row.
 *
 * Semantics follow Dataverse (SQL Server underneath): string comparisons are case-insensitive, `contains`/
 * `startswith`/`endswith` honour LIKE wildcards, `null` compares only with eq/ne.
 */

/** How a property's values compare. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'date' | 'guid' | 'multi' | 'any';

export interface PropertyAccessor<T> {
  readonly kind: ValueKind;
  readonly get: (subject: T) => unknown;
}

/** Resolves property paths of the subject type (throws the documented unknown-property error). */
export interface FilterSchema<T> {
  property(path: string): PropertyAccessor<T>;
  /** The caller's user id, for EqualUserId. */
  readonly userId?: string;
}

export type Predicate<T> = (subject: T) => boolean;

interface Node {
  type: string;
  value: any;
  raw: string;
}

const comparisons: Record<string, (c: number) => boolean> = {
  LesserThanExpression: (c) => c < 0,
  LesserOrEqualsExpression: (c) => c <= 0,
  GreaterThanExpression: (c) => c > 0,
  GreaterOrEqualsExpression: (c) => c >= 0,
};

export function compileFilter<T>(text: string, schema: FilterSchema<T>): Predicate<T> {
  let tree: Node;
  try {
    // The parser reads URL-encoded text: a literal `%` (a LIKE wildcard) must reach it as `%25`.
    tree = odataParser.filter(text.replace(/%/g, '%25')) as unknown as Node;
  } catch (error) {
    const position = /at (\d+)/.exec(String((error as Error).message))?.[1] ?? '0';
    throw odataError(`Syntax error at position ${position} in '${text}'.`);
  }
  return compileBoolean(tree, schema);
}

function unwrap(node: Node): Node {
  let current = node;
  while (
    current.type === 'CommonExpression' ||
    current.type === 'BoolParenExpression' ||
    current.type === 'ParenExpression'
  ) {
    current = current.value;
  }
  return current;
}

function compileBoolean<T>(input: Node, schema: FilterSchema<T>): Predicate<T> {
  const node = unwrap(input);
  switch (node.type) {
    case 'AndExpression': {
      const left = compileBoolean(node.value.left, schema);
      const right = compileBoolean(node.value.right, schema);
      return (s) => left(s) && right(s);
    }
    case 'OrExpression': {
      const left = compileBoolean(node.value.left, schema);
      const right = compileBoolean(node.value.right, schema);
      return (s) => left(s) || right(s);
    }
    case 'NotExpression': {
      // The parser lets `not` swallow a following and/or chain (`not a and b` → not(a and b)); OData gives
      // `not` the higher precedence, so apply it to the leftmost operand unless the chain was parenthesised.
      const operand: Node = node.value;
      if (operand.type === 'AndExpression' || operand.type === 'OrExpression') {
        const rotated: Node = {
          type: operand.type,
          raw: operand.raw,
          value: {
            left: { type: 'NotExpression', raw: '', value: operand.value.left },
            right: operand.value.right,
          },
        };
        return compileBoolean(rotated, schema);
      }
      const inner = compileBoolean(operand, schema);
      return (s) => !inner(s);
    }
    case 'EqualsExpression':
    case 'NotEqualsExpression': {
      const equal = compileEquality(node, schema);
      return node.type === 'EqualsExpression' ? equal : (s) => !equal(s);
    }
    case 'LesserThanExpression':
    case 'LesserOrEqualsExpression':
    case 'GreaterThanExpression':
    case 'GreaterOrEqualsExpression': {
      const test = comparisons[node.type];
      const [left, right] = operands(node, schema);
      return (s) => {
        const a = left(s);
        const b = right(s);
        if (a === null || a === undefined || b === null || b === undefined) return false;
        return test(compareValues(a, b));
      };
    }
    case 'MethodCallExpression':
      return compileMethod(node, schema);
    case 'FunctionExpression':
      return compileDataverseFunction(node, schema);
    default:
      if (isMember(node)) {
        const property = schema.property(node.raw);
        return (s) => property.get(s) === true;
      }
      throw odataError(`The expression '${node.raw}' is not supported by the emulator's $filter.`);
  }
}

function isMember(node: Node): boolean {
  return ['FirstMemberExpression', 'MemberExpression', 'PropertyPathExpression', 'ODataIdentifier'].includes(
    node.type,
  );
}

type Operand<T> = (subject: T) => unknown;

/** Both sides of a comparison; a literal is converted to the kind of the property on the other side. */
function operands<T>(node: Node, schema: FilterSchema<T>): [Operand<T>, Operand<T>] {
  const left = unwrap(node.value.left);
  const right = unwrap(node.value.right);
  const leftProperty = isMember(left) ? schema.property(left.raw) : undefined;
  const rightProperty = isMember(right) ? schema.property(right.raw) : undefined;
  const side = (
    n: Node,
    property: PropertyAccessor<T> | undefined,
    other: PropertyAccessor<T> | undefined,
  ): Operand<T> => {
    if (property) return normalizer(property);
    const value = literal(n, other?.kind ?? 'any');
    return () => value;
  };
  return [side(left, leftProperty, rightProperty), side(right, rightProperty, leftProperty)];
}

function normalizer<T>(property: PropertyAccessor<T>): Operand<T> {
  if (property.kind === 'string' || property.kind === 'multi' || property.kind === 'any') {
    return (s) => {
      const v = property.get(s);
      return typeof v === 'string' ? v.toLowerCase() : v;
    };
  }
  return property.get;
}

function compileEquality<T>(node: Node, schema: FilterSchema<T>): Predicate<T> {
  const [left, right] = operands(node, schema);
  return (s) => {
    const a = left(s);
    const b = right(s);
    const aNull = a === null || a === undefined;
    const bNull = b === null || b === undefined;
    if (aNull || bNull) return aNull && bNull;
    return compareValues(a, b) === 0;
  };
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** An OData literal as the comparable value for a property kind (strings lower-cased). */
function literal(node: Node, kind: ValueKind): unknown {
  if (node.type === 'Literal') return convertLiteral(String(node.value), node.raw, kind);
  if (node.type === 'EnumValue' || /'[^']*'$/.test(node.raw)) {
    const member = /'([^']*)'$/.exec(node.raw)?.[1];
    if (member !== undefined) return kind === 'string' || kind === 'any' ? member.toLowerCase() : member;
  }
  throw odataError(`The expression '${node.raw}' is not supported by the emulator's $filter.`);
}

function convertLiteral(edmType: string, raw: string, kind: ValueKind): unknown {
  if (edmType === 'null') return null;
  let value: unknown;
  if (edmType === 'Edm.String') value = raw.slice(1, -1).replace(/''/g, "'").replace(/%25/g, '%');
  else if (edmType === 'string') value = JSON.parse(raw);
  else if (edmType === 'Edm.Boolean') value = raw === 'true';
  else if (edmType === 'Edm.Guid') value = raw.toLowerCase();
  else if (edmType === 'Edm.DateTimeOffset' || edmType === 'Edm.Date') value = parseDate(raw);
  else if (/^Edm\.(S?Byte|Int16|Int32|Int64|Decimal|Double|Single)$/.test(edmType))
    value = Number(raw.replace(/[mMdDfFlL]$/, ''));
  else value = raw;
  switch (kind) {
    case 'string':
    case 'multi':
      return String(value).toLowerCase();
    case 'number':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
      throw odataError(`The literal ${raw} cannot be compared with a number.`);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 1 || value === 0) return value === 1;
      throw odataError(`The literal ${raw} cannot be compared with a boolean.`);
    case 'date': {
      const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDate(value) : undefined;
      if (ms === undefined) throw odataError(`The literal ${raw} is not a valid date.`);
      return ms;
    }
    case 'guid': {
      const guid = normalizeGuid(String(value));
      if (!guid) throw odataError(`The literal ${raw} is not a valid GUID.`);
      return guid;
    }
    default:
      return typeof value === 'string' ? value.toLowerCase() : value;
  }
}

/** contains/startswith/endswith(property, 'text') with T-SQL LIKE wildcards (reference §1.3). */
function compileMethod<T>(node: Node, schema: FilterSchema<T>): Predicate<T> {
  const method = String(node.value.method);
  const parameters: Node[] = (node.value.parameters ?? []).map(unwrap);
  if (!['contains', 'startswith', 'endswith'].includes(method) || parameters.length !== 2) {
    throw odataError(`The '${method}' function is not supported.`);
  }
  const [subject, pattern] = parameters;
  if (!isMember(subject) || pattern.type !== 'Literal') {
    throw odataError(`'${method}' needs a property and a string literal.`);
  }
  const property = schema.property(subject.raw);
  const text = String(convertLiteral(String(pattern.value), pattern.raw, 'string'));
  const body = likeToRegex(text);
  const regex = new RegExp(
    method === 'contains' ? body : method === 'startswith' ? `^${body}` : `${body}$`,
    'is',
  );
  return (s) => {
    const value = property.get(s);
    return typeof value === 'string' && regex.test(value);
  };
}

function likeToRegex(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '%') out += '.*';
    else if (char === '_') out += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${set.startsWith('^') ? set : set.replace(/^\^/, '')}]`;
        i = end;
      }
    } else out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/** `Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=["a","b"])` and friends (reference §1.3). */
function compileDataverseFunction<T>(node: Node, schema: FilterSchema<T>): Predicate<T> {
  const fn = node.value.fn?.value;
  const name = String(fn?.name ?? '');
  if (fn?.namespace !== 'Microsoft.Dynamics.CRM') throw odataError(`Unknown function '${node.raw}'.`);
  const params = new Map<string, Node>();
  for (const p of node.value.params?.value ?? [])
    params.set(String(p.value.name.value.name), p.value.value.value);
  const propertyName = params.get('PropertyName');
  if (!propertyName || propertyName.type !== 'Literal')
    throw odataError(`${name} needs a PropertyName parameter.`);
  const property = schema.property(
    String(convertLiteral(String(propertyName.value), propertyName.raw, 'any')),
  );
  const get = normalizer(property);
  const values = (): unknown[] => {
    const list = params.get('PropertyValues');
    if (!list || list.type !== 'Array') throw odataError(`${name} needs a PropertyValues array.`);
    return (list.value.items as Node[]).map((item) =>
      convertLiteral(String(item.value), item.raw, property.kind),
    );
  };
  const single = (): unknown => {
    const value = params.get('PropertyValue');
    if (!value || value.type !== 'Literal') throw odataError(`${name} needs a PropertyValue parameter.`);
    return convertLiteral(String(value.value), value.raw, property.kind === 'date' ? 'any' : property.kind);
  };
  const notNull = (v: unknown) => v !== null && v !== undefined;
  switch (name) {
    case 'In':
    case 'NotIn': {
      const set = values();
      const test = (s: T) => {
        const v = get(s);
        return notNull(v) && set.some((x) => compareValues(v, x) === 0);
      };
      return name === 'In' ? test : (s) => !test(s);
    }
    case 'Between':
    case 'NotBetween': {
      const [low, high] = values();
      const test = (s: T) => {
        const v = get(s);
        return notNull(v) && compareValues(v, low) >= 0 && compareValues(v, high) <= 0;
      };
      return name === 'Between' ? test : (s) => !test(s);
    }
    case 'ContainValues':
    case 'DoesNotContainValues': {
      const wanted = values().map(String);
      const test = (s: T) => {
        const v = get(s);
        return typeof v === 'string' && v.split(',').some((x) => wanted.includes(x));
      };
      return name === 'ContainValues' ? test : (s) => !test(s);
    }
    case 'On':
    case 'OnOrAfter':
    case 'OnOrBefore': {
      const day = parseDate(String(single()).slice(0, 10));
      if (day === undefined) throw odataError(`${name} needs a date PropertyValue.`);
      return (s) => {
        const v = get(s);
        if (typeof v !== 'number') return false;
        const start = v - (v % 86_400_000);
        return name === 'On' ? start === day : name === 'OnOrAfter' ? start >= day : start <= day;
      };
    }
    case 'LastXDays':
    case 'LastXHours': {
      const amount = Number(single());
      const span = amount * (name === 'LastXDays' ? 86_400_000 : 3_600_000);
      return (s) => {
        const v = get(s);
        return typeof v === 'number' && v >= Date.now() - span && v <= Date.now();
      };
    }
    case 'EqualUserId':
    case 'NotEqualUserId': {
      const user = schema.userId;
      const test = (s: T) => get(s) === user;
      return name === 'EqualUserId' ? test : (s) => !test(s);
    }
    default:
      throw odataError(`The function 'Microsoft.Dynamics.CRM.${name}' is not supported by the emulator.`);
  }
}

/** `$orderby` items via the same parser, so property paths and syntax errors match `$filter`'s. */
export function parseOrderBy(text: string): { path: string; descending: boolean }[] {
  let tree: Node;
  try {
    tree = odataParser.query(`$orderby=${text}`) as unknown as Node;
  } catch (error) {
    const position = /at (\d+)/.exec(String((error as Error).message))?.[1] ?? '0';
    throw odataError(`Syntax error at position ${Math.max(0, Number(position) - 9)} in '${text}'.`);
  }
  const option = (tree.value.options as Node[]).find((o) => o.type === 'OrderBy');
  if (!option) throw odataError(`Syntax error in '$orderby=${text}'.`);
  return (option.value.items as Node[]).map((item) => ({
    path: unwrap(item.value.expr).raw,
    descending: item.value.direction === -1,
  }));
}
