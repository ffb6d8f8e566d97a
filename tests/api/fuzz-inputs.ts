import fc from 'fast-check';

/** The OpenAPI document's parts the fuzzer reads (interfaces.md §4, served at /openapi.json). */
export type Schema = Record<string, any>;

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly schema: Schema;
  readonly required: boolean;
}

export interface Operation {
  readonly method: string;
  /** OpenAPI path template, `/api/v1/persons/{id}`. */
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body: Schema | undefined;
  /** Response JSON schema by status, `undefined` when the status has no JSON body. */
  readonly responses: Readonly<Record<string, Schema | undefined>>;
}

export function operationsOf(document: { paths: Record<string, Record<string, any>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: ((operation.parameters ?? []) as Parameter[]).map((parameter) => ({
        name: parameter.name,
        in: parameter.in,
        schema: parameter.schema,
        required: parameter.required === true,
      })),
      body: operation.requestBody?.content?.['application/json']?.schema,
      responses: Object.fromEntries(
        Object.entries(operation.responses as Record<string, any>).map(([status, response]) => [
          status,
          response?.content?.['application/json']?.schema,
        ]),
      ),
    })),
  );
}

/** Names the run learns as it goes (ids it created, field names), resolved when a request is sent. */
export type PoolName = 'personId' | 'campaignId' | 'fieldName' | 'entity' | 'email';

export class PoolRef {
  readonly pool: PoolName;
  readonly index: number;
  constructor(pool: PoolName, index: number) {
    this.pool = pool;
    this.index = index;
  }
}

export type Pools = Record<PoolName, string[]>;

const fromPool = (pool: PoolName) => fc.nat({ max: 1000 }).map((index) => new PoolRef(pool, index));

/** Replaces every PoolRef with a value of the pool (a fresh UUID when an id pool is still empty). */
export function resolve(value: unknown, pools: Pools): unknown {
  if (value instanceof PoolRef) {
    const pool = pools[value.pool];
    return pool.length > 0 ? pool[value.index % pool.length] : crypto.randomUUID();
  }
  if (value instanceof DeepJson) return value;
  if (Array.isArray(value)) return value.map((item) => resolve(item, pools));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner, pools)]));
  }
  return value;
}

// --- hostile values ------------------------------------------------------------------------------

/**
 * JSON nested `depth` levels (arrays and objects by turns), kept as a marker until the payload is written:
 * a real 20,000-deep value would overflow fast-check's own (recursive) printing and cloning.
 */
export class DeepJson {
  readonly depth: number;
  constructor(depth: number) {
    this.depth = depth;
  }
  toJSON(): string {
    return `${deepMarker}${this.depth}${deepMarker}`;
  }
  [fc.toStringMethod](): string {
    return `DeepJson(${this.depth})`;
  }
}

const deepMarker = '\u0001deep\u0001';

/** `JSON.stringify`, with every DeepJson written out in full. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(/"\\u0001deep\\u0001(\d+)\\u0001deep\\u0001"/g, (_, depth: string) => {
    const levels = Number(depth);
    let open = '';
    let close = '';
    for (let level = 0; level < levels; level++) {
      open += level % 2 === 0 ? '[' : '{"a":';
      close = (level % 2 === 0 ? ']' : '}') + close;
    }
    return `${open}"deep"${close}`;
  });
}

/** Strings PostgreSQL or the API have tripped on, or could: NUL, lone surrogates, huge, SQL/LIKE syntax… */
/** NUL and lone surrogates, alone or inside ordinary text: what PostgreSQL refuses (issue 13, item 7). */
export const unstorableString: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800'),
    fc.string({ maxLength: 8 }),
  )
  .map(([before, bad, after]) => `${before}${bad}${after}`);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: unstorableString, weight: 3 },
  fc.constantFrom(
    '😀',
    '\ufeff',
    '\u202e',
    "' or '1'='1",
    '%',
    '_',
    '\\',
    '"',
    '',
    ' ',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '0190a5f0-0000-7000-8000-00000000beef',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    'zzzzzzzz-0000-7000-8000-000000000001',
    '0190a5f0-0000-7000-8000-000000000001\u0000',
    'eyJ2IjoxfQ',
    'eyJrZXkiOltudWxsXX0=',
    '!!!notbase64',
    '-1',
    '0',
    '1e400',
    'NaN',
    '9007199254740993',
    '2024-13-45T99:99:99Z',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', 'a', 'é', '😀'), maxLength: 12 }),
  fc.constantFrom(1_000, 64_000, 100_001, 300_000).map((length) => 'x'.repeat(length)),
);

/** Any JSON value of the wrong kind for where it is put, including deep nesting and huge numbers. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  fc.constantFrom(-1, 0, 1.5, -0, 1e308, -1e308, 2 ** 53 + 2, 1001, 99999999999),
  fc.constantFrom(true, false, null),
  fc.constantFrom([], {}, [null], { '': '' }, { '\u0000': 1 }, { '\ud800': 'x' }),
  fc.constantFrom(10, 100, 1_000, 20_000).map((depth) => new DeepJson(depth)),
  fc.jsonValue({ maxDepth: 3 }),
);

// --- valid values from a schema ----------------------------------------------------------------

export interface Hints {
  /** Keys for objects whose properties are open (`additionalProperties`): person fields, entities. */
  readonly openKeys: fc.Arbitrary<string>;
  /**
   * Valid bodies by operation (`POST /api/v1/campaigns`) where rules the schema cannot state (B7.5: which
   * properties a trigger or step takes) would make schema-derived bodies almost always 400.
   */
  readonly bodies?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

function stringFor(schema: Schema, name: string | undefined): fc.Arbitrary<unknown> {
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  const minLength = schema.minLength ?? 0;
  if (schema.format === 'uuid') {
    return fc.oneof(fromPool('personId'), fromPool('campaignId'), fc.uuid());
  }
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString());
  }
  if (typeof schema.pattern === 'string') {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter((text) => text.length <= (schema.maxLength ?? 1e9));
  }
  const named: fc.Arbitrary<unknown>[] = [];
  if (name === 'email') named.push(fromPool('email'));
  if (name === 'field') named.push(fromPool('fieldName'));
  if (name === 'entity') named.push(fromPool('entity'));
  return fc.oneof(
    ...named,
    fc.string({ minLength, maxLength: Math.max(minLength, maxLength) }),
    fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, maxLength) }),
  );
}

/** A value valid for `schema` (or close to it: formats and cross-field rules the schema cannot state). */
export function validValue(schema: Schema | undefined, hints: Hints, name?: string): fc.Arbitrary<unknown> {
  if (schema === undefined) return fc.jsonValue({ maxDepth: 2 });
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    return fc.oneof(...alternatives.map((alternative: Schema) => validValue(alternative, hints, name)));
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type: string) => validValue({ ...schema, type }, hints, name)));
  }
  switch (schema.type) {
    case 'string':
      return stringFor(schema, name);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = validValue(schema.items, hints, name);
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      return schema.uniqueItems === true
        ? fc.uniqueArray(items, { ...constraints, selector: (item) => JSON.stringify(item) })
        : fc.array(items, constraints);
    }
    case 'object':
    case undefined:
      return objectFor(schema, hints);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectFor(schema: Schema, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = (schema.required ?? []) as string[];
  const known = fc.record(
    Object.fromEntries(
      Object.entries(properties).map(([key, property]) => [key, validValue(property, hints, key)]),
    ),
    { requiredKeys: required },
  );
  const open = schema.additionalProperties;
  if (open === undefined || open === false) return known;
  const extra = fc.dictionary(hints.openKeys, validValue(open === true ? undefined : open, hints), {
    maxKeys: 4,
    minKeys: schema.minProperties ?? 0,
  });
  return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }));
}
