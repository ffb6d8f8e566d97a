import odataParser from 'odata-v4-parser';
import { odataError } from '../http/dataverse-error.ts';
import { normalizeGuid } from '../http/odata-path.ts';
import { parseDate } from '../records/value-codec.ts';
import { decodeStringLiteral, normalizeFilterText } from './filter-text.ts';

/**
 * `$filter` → predicate. The text is parsed into a syntax tree by `odata-v4-parser` (JayStack's OData v4 ABNF
 * parser; chosen over its fork `@odata/parser` because it has no runtime dependencies and the same tree),
 * then compiled once into closures that run per row.
 *
 * Semantics follow Dataverse (SQL Server underneath): string comparisons are case-insensitive, `contains`/
 * `startswith`/`endswith` honour LIKE wildcards, and logic is three-valued — a comparison with a null column
 * is unknown, `not unknown` stays unknown, and only rows whose filter is true are returned (filter-rows: "Records
 * aren't returned if the expression evaluates to false or null"). So `ne 'x'` and `not(… eq 'x')` leave out
 * rows where the column is null, while `eq null` / `ne null` are SQL's IS NULL / IS NOT NULL.
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

/** SQL's three-valued truth: null is unknown. */
type Truth = boolean | null;
type Condition<T> = (subject: T) => Truth;

const isNull = (v: unknown): v is null | undefined => v === null || v === undefined;

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
  // The parser reads URL-encoded text: string contents (LIKE wildcards `%` and `[]`, spaces…) reach it
  // percent-encoded and are decoded again by convertLiteral. Malformed arrays throw their own error here.
  const normalized = normalizeFilterText(text);
  let tree: Node;
  try {
    tree = odataParser.filter(normalized) as unknown as Node;
  } catch (error) {
    const position = /at (\d+)/.exec(String((error as Error).message))?.[1] ?? '0';
    throw odataError(`Syntax error at position ${position} in '${text}'.`);
  }
  const condition = compileBoolean(tree, schema);
  return (s) => condition(s) === true;
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

function compileBoolean<T>(input: Node, schema: FilterSchema<T>): Condition<T> {
  const node = unwrap(input);
  switch (node.type) {
    case 'AndExpression': {
      const left = compileBoolean(node.value.left, schema);
      const right = compileBoolean(node.value.right, schema);
      return (s) => {
        const a = left(s);
        if (a === false) return false;
        const b = right(s);
        if (b === false) return false;
        return a === null || b === null ? null : true;
      };
    }
    case 'OrExpression': {
      const left = compileBoolean(node.value.left, schema);
      const right = compileBoolean(node.value.right, schema);
      return (s) => {
        const a = left(s);
        if (a === true) return true;
        const b = right(s);
        if (b === true) return true;
        return a === null || b === null ? null : false;
      };
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
      return negate(compileBoolean(operand, schema));
    }
    case 'EqualsExpression':
      return compileEquality(node, schema);
    case 'NotEqualsExpression':
      return negate(compileEquality(node, schema));
    case 'LesserThanExpression':
    case 'LesserOrEqualsExpression':
    case 'GreaterThanExpression':
    case 'GreaterOrEqualsExpression': {
      const test = comparisons[node.type];
      const [left, right] = operands(node, schema);
      return (s) => {
        const a = left(s);
        const b = right(s);
        if (isNull(a) || isNull(b)) return null;
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
        return (s) => {
          const v = property.get(s);
          return isNull(v) ? null : v === true;
        };
      }
      throw odataError(`The expression '${node.raw}' is not supported by the emulator's $filter.`);
  }
}

/** SQL NOT: unknown stays unknown. */
function negate<T>(condition: Condition<T>): Condition<T> {
  return (s) => {
    const v = condition(s);
    return v === null ? null : !v;
  };
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

/**
 * `eq`: a `null` literal on either side is SQL's IS NULL (so `ne null` is IS NOT NULL); otherwise a null
 * operand — a null column, or two columns of which one is null — makes the comparison unknown.
 */
function compileEquality<T>(node: Node, schema: FilterSchema<T>): Condition<T> {
  const [left, right] = operands(node, schema);
  const nullLiteral = isNullLiteral(unwrap(node.value.left)) || isNullLiteral(unwrap(node.value.right));
  return (s) => {
    const a = left(s);
    const b = right(s);
    const aNull = isNull(a);
    const bNull = isNull(b);
    if (nullLiteral) return aNull && bNull;
    if (aNull || bNull) return null;
    return compareValues(a, b) === 0;
  };
}

function isNullLiteral(node: Node): boolean {
  return node.type === 'Literal' && node.value === 'null';
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
  if (edmType === 'Edm.String') value = decodeStringLiteral(raw.slice(1, -1).replace(/''/g, "'"));
  else if (edmType === 'string') value = decodeStringLiteral(JSON.parse(raw) as string);
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
function compileMethod<T>(node: Node, schema: FilterSchema<T>): Condition<T> {
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
    if (isNull(value)) return null;
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
function compileDataverseFunction<T>(node: Node, schema: FilterSchema<T>): Condition<T> {
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
  // Every function is a condition on one column: a null column makes it unknown, so the negated forms
  // (NotIn, NotBetween, DoesNotContainValues, NotEqualUserId) leave null rows out as `ne` does.
  const onValue =
    (test: (v: unknown) => boolean): Condition<T> =>
    (s) => {
      const v = get(s);
      return isNull(v) ? null : test(v);
    };
  switch (name) {
    case 'In':
    case 'NotIn': {
      const set = values();
      const test = onValue((v) => set.some((x) => compareValues(v, x) === 0));
      return name === 'In' ? test : negate(test);
    }
    case 'Between':
    case 'NotBetween': {
      const [low, high] = values();
      const test = onValue((v) => compareValues(v, low) >= 0 && compareValues(v, high) <= 0);
      return name === 'Between' ? test : negate(test);
    }
    case 'ContainValues':
    case 'DoesNotContainValues': {
      const wanted = values().map(String);
      const test = onValue((v) => typeof v === 'string' && v.split(',').some((x) => wanted.includes(x)));
      return name === 'ContainValues' ? test : negate(test);
    }
    case 'On':
    case 'OnOrAfter':
    case 'OnOrBefore': {
      const day = parseDate(String(single()).slice(0, 10));
      if (day === undefined) throw odataError(`${name} needs a date PropertyValue.`);
      return onValue((v) => {
        if (typeof v !== 'number') return false;
        const start = v - (v % 86_400_000);
        return name === 'On' ? start === day : name === 'OnOrAfter' ? start >= day : start <= day;
      });
    }
    case 'LastXDays':
    case 'LastXHours': {
      const amount = Number(single());
      const span = amount * (name === 'LastXDays' ? 86_400_000 : 3_600_000);
      return onValue((v) => typeof v === 'number' && v >= Date.now() - span && v <= Date.now());
    }
    case 'EqualUserId':
    case 'NotEqualUserId': {
      const user = schema.userId;
      const test = onValue((v) => v === user);
      return name === 'EqualUserId' ? test : negate(test);
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
