import { odataError } from './dataverse-error.ts';

/** One resource-path segment: `contacts`, `contacts(<guid>)`, `WhoAmI()`, `Attributes(LogicalName='x')`. */
export interface PathSegment {
  readonly name: string;
  /** Text between the parentheses, undefined when there are none. */
  readonly key: string | undefined;
}

export type KeyValue = string | number | boolean | null;

/** A parsed key: a primary key GUID, or named values (alternate keys, `LogicalName='x'`). */
export type ParsedKey = { kind: 'id'; id: string } | { kind: 'named'; values: Map<string, KeyValue> };

const guidPattern = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

/** Lower-case GUID without braces, or undefined. */
export function normalizeGuid(value: string): string | undefined {
  const match = guidPattern.exec(value.trim());
  return match ? match[1].toLowerCase() : undefined;
}

/** Splits a decoded resource path on `/`, keeping slashes inside quotes and parentheses. */
export function parseResourcePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (const char of path) {
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')') depth--;
    if (char === '/' && depth === 0 && !quoted) {
      segments.push(toSegment(current));
      current = '';
    } else current += char;
  }
  if (current !== '' || segments.length === 0) segments.push(toSegment(current));
  return segments;
}

function toSegment(text: string): PathSegment {
  const open = text.indexOf('(');
  if (open < 0) return { name: text, key: undefined };
  if (!text.endsWith(')')) throw odataError(`Bad Request - Error in query syntax.`);
  return { name: text.slice(0, open), key: text.slice(open + 1, -1) };
}

/** Parses a key: a GUID, or `name=value,…` with OData literals ('' escapes a quote). */
export function parseKey(raw: string): ParsedKey {
  const id = normalizeGuid(raw);
  if (id) return { kind: 'id', id };
  const values = new Map<string, KeyValue>();
  let rest = raw.trim();
  while (rest.length > 0) {
    const eq = rest.indexOf('=');
    if (eq <= 0) throw odataError(`Bad Request - Error in query syntax.`);
    const name = rest.slice(0, eq).trim();
    rest = rest.slice(eq + 1).trim();
    let value: KeyValue;
    if (rest.startsWith("'")) {
      let i = 1;
      let text = '';
      for (; i < rest.length; i++) {
        if (rest[i] === "'") {
          if (rest[i + 1] === "'") {
            text += "'";
            i++;
          } else break;
        } else text += rest[i];
      }
      if (i >= rest.length)
        throw odataError(`There is an unterminated literal at position ${eq + 1} in '${raw}'.`);
      value = text;
      rest = rest.slice(i + 1).trim();
    } else {
      const comma = rest.indexOf(',');
      const literal = (comma < 0 ? rest : rest.slice(0, comma)).trim();
      rest = comma < 0 ? '' : rest.slice(comma);
      value = parseLiteral(literal);
    }
    values.set(name, value);
    if (rest.startsWith(',')) rest = rest.slice(1).trim();
    else if (rest.length > 0) throw odataError(`Bad Request - Error in query syntax.`);
  }
  return { kind: 'named', values };
}

function parseLiteral(literal: string): KeyValue {
  if (literal === 'null') return null;
  if (literal === 'true' || literal === 'false') return literal === 'true';
  const guid = normalizeGuid(literal);
  if (guid) return guid;
  if (/^-?\d+(\.\d+)?$/.test(literal)) return Number(literal);
  throw odataError(`Bad Request - Error in query syntax.`);
}
