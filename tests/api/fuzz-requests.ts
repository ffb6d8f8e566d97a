import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import {
  DeepJson,
  hostileString,
  hostileValue,
  PoolRef,
  resolve,
  toJsonText,
  validValue,
  type Hints,
  type Operation,
  type Pools,
} from './fuzz-inputs.ts';
import { auth } from './support/test-server.ts';

/** The webhook key of the fuzz app's receiver (fuzz-app.ts), sent with every request so its body is fuzzed too. */
export const fuzzWebhookKey = 'fuzz-webhook-key-0123456789';
const headers = { ...auth, 'x-syncline-webhook-key': fuzzWebhookKey };

/** One generated request, before the pools' names are filled in. */
export interface FuzzRequest {
  readonly operation: Operation;
  readonly path: Readonly<Record<string, unknown>>;
  readonly query: readonly (readonly [string, unknown])[];
  readonly body:
    | { readonly kind: 'none' }
    | { readonly kind: 'json'; readonly value: unknown }
    | { readonly kind: 'raw'; readonly payload: string; readonly contentType: string };
  /** Whether a hostile or invalid part was put in on purpose (the answer may still be 2xx: e.g. `q=%`). */
  readonly hostile: boolean;
}

const tagged = <T>(arbitrary: fc.Arbitrary<T>, hostile: boolean) =>
  arbitrary.map((value) => ({ value, hostile }));

/** Valid or hostile, even odds. */
function either(valid: fc.Arbitrary<unknown>, hostile: fc.Arbitrary<unknown>) {
  return fc.oneof(tagged(valid, false), tagged(hostile, true));
}

/** Raw bodies no JSON encoder would write: broken syntax, escapes of lone surrogates and NUL, deep nesting. */
const rawPayload = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '{"a":',
    'null',
    '[]',
    '"text"',
    '{"email":"a@b.c","__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"firstName":"\\ud800"}',
    '{"name":"\\u0000","type":"string"}',
    '{"\\udfff":1}',
    '{"a":1,"a":2}',
    '\ufeff{}',
  ),
  fc.constantFrom(1_000, 100_000, 400_000).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.constantFrom(1_000, 100_000).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

/** Half the requests are valid throughout (so 2xx answers and their schemas are exercised), half hostile. */
export function requestArbitrary(operation: Operation, hints: Hints): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(validRequest(operation, hints), hostileRequest(operation, hints));
}

function validRequest(operation: Operation, hints: Hints): fc.Arbitrary<FuzzRequest> {
  const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path');
  const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  const path = fc.record(
    Object.fromEntries(
      pathParameters.map((parameter) => [
        parameter.name,
        validValue(parameter.schema, hints, parameter.name),
      ]),
    ),
  );
  const query = fc
    .subarray(queryParameters)
    .chain((chosen) =>
      fc.tuple(
        ...chosen.map((parameter) =>
          validValue(parameter.schema, hints, parameter.name).map(
            (value) => [parameter.name, value] as const,
          ),
        ),
      ),
    );
  const body: fc.Arbitrary<FuzzRequest['body']> =
    operation.body === undefined
      ? fc.constant({ kind: 'none' })
      : validBody(operation, hints).map((value) => ({ kind: 'json', value }));
  return fc
    .tuple(path, query, body)
    .map(([pathValues, queryParts, bodyPart]) => request(operation, pathValues, queryParts, bodyPart, false));
}

function validBody(operation: Operation, hints: Hints): fc.Arbitrary<unknown> {
  const fromSchema = validValue(operation.body, hints);
  const special = hints.bodies?.[`${operation.method} ${operation.path}`];
  return special === undefined ? fromSchema : fc.oneof({ arbitrary: special, weight: 3 }, fromSchema);
}

function request(
  operation: Operation,
  path: Record<string, unknown>,
  query: readonly (readonly [string, unknown])[],
  body: FuzzRequest['body'],
  hostile: boolean,
): FuzzRequest {
  return {
    // Counterexamples print the operation by name, not its whole schema.
    operation: Object.assign(Object.create(operation) as Operation, {
      [fc.toStringMethod]: () => `${operation.method} ${operation.path}`,
    }),
    path,
    query,
    body,
    hostile,
  };
}

function hostileRequest(operation: Operation, hints: Hints): fc.Arbitrary<FuzzRequest> {
  const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path');
  const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  const path = fc.tuple(
    ...pathParameters.map((parameter) =>
      either(validValue(parameter.schema, hints, parameter.name), hostileString),
    ),
  );
  const declared = fc
    .subarray(queryParameters)
    .chain((chosen) =>
      fc.tuple(
        ...chosen.map((parameter) =>
          either(validValue(parameter.schema, hints, parameter.name), hostileValue).map(
            ({ value, hostile }) => ({ name: parameter.name, value, hostile }),
          ),
        ),
      ),
    );
  const unknownQuery = fc.option(
    fc.tuple(hostileString, hostileString).map(([name, value]) => ({ name, value, hostile: true })),
    { freq: 8 },
  );
  const query = fc.tuple(declared, unknownQuery, fc.nat({ max: 9 })).map(([parts, unknown, dice]) => {
    const all = unknown === null ? [...parts] : [...parts, unknown];
    // A parameter given twice (one time in ten) is a client mistake to refuse with a 400, never a 500.
    if (dice === 0 && parts.length > 0) all.push({ ...parts[0]!, hostile: true });
    return all;
  });
  const body = bodyArbitrary(operation, hints);
  return fc.tuple(path, query, body).map(([pathValues, queryParts, bodyPart]) => ({
    ...request(operation, {}, [], bodyPart.body, true),
    path: Object.fromEntries(
      pathParameters.map((parameter, index) => [parameter.name, pathValues[index]!.value]),
    ),
    query: queryParts.map((part) => [part.name, part.value] as const),
    body: bodyPart.body,
    hostile:
      pathValues.some((part) => part.hostile) || queryParts.some((part) => part.hostile) || bodyPart.hostile,
  }));
}

type BodyPart = { body: FuzzRequest['body']; hostile: boolean };

function bodyArbitrary(operation: Operation, hints: Hints): fc.Arbitrary<BodyPart> {
  const none: fc.Arbitrary<BodyPart> = fc.constant({ body: { kind: 'none' }, hostile: false });
  const raw: fc.Arbitrary<BodyPart> = fc
    .tuple(
      rawPayload,
      fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/xml'),
    )
    .map(([payload, contentType]) => ({ body: { kind: 'raw', payload, contentType }, hostile: true }));
  if (operation.body === undefined) {
    return fc.oneof({ arbitrary: none, weight: 8 }, { arbitrary: raw, weight: 1 });
  }
  const valid = validBody(operation, hints);
  const json = (value: unknown, hostile: boolean): BodyPart => ({ body: { kind: 'json', value }, hostile });
  // A valid body with one value, at any depth, replaced by something hostile, or one unknown key added.
  const mutated = fc
    .tuple(valid, fc.nat(), hostileValue, fc.boolean(), hostileString)
    .map(([value, pick, replacement, addKey, key]) =>
      json(mutate(value, pick, replacement, addKey ? key : undefined), true),
    );
  return fc.oneof(
    { arbitrary: valid.map((value) => json(value, false)), weight: 4 },
    { arbitrary: mutated, weight: 4 },
    { arbitrary: hostileValue.map((value) => json(value, true)), weight: 1 },
    { arbitrary: raw, weight: 1 },
    { arbitrary: none, weight: 1 },
  );
}

/** Replaces the `pick`-th value of the tree (pre-order, modulo its size); adds `extraKey` to the root object. */
function mutate(value: unknown, pick: number, replacement: unknown, extraKey: string | undefined): unknown {
  const slots: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const copy = clone(value);
  const walk = (node: unknown) => {
    if (node instanceof DeepJson || node instanceof PoolRef) return;
    if (Array.isArray(node))
      node.forEach((_, index) => (slots.push({ holder: node, key: index }), walk(node[index])));
    else if (typeof node === 'object' && node !== null) {
      for (const key of Object.keys(node)) {
        slots.push({ holder: node as Record<string, unknown>, key });
        walk((node as Record<string, unknown>)[key]);
      }
    }
  };
  walk(copy);
  if (extraKey !== undefined && typeof copy === 'object' && copy !== null && !Array.isArray(copy)) {
    (copy as Record<string, unknown>)[extraKey] = replacement;
    return copy;
  }
  if (slots.length === 0) return replacement;
  const slot = slots[pick % slots.length]!;
  (slot.holder as Record<string | number, unknown>)[slot.key] = replacement;
  return copy;
}

/** A copy of a generated (shallow) value; PoolRef and DeepJson markers are kept as they are. */
function clone(value: unknown): unknown {
  if (value instanceof PoolRef || value instanceof DeepJson) return value;
  if (Array.isArray(value)) return value.map(clone);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, clone(inner)]));
  }
  return value;
}

/**
 * Percent-encodes any string, lone surrogates included (as the UTF-8-style bytes of the surrogate code point,
 * `%ED%A0%80`, which is what a careless client would send; `encodeURIComponent` throws on them).
 */
export function encodePart(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(char);
  }
  return out;
}

export function toInjectOptions(request: FuzzRequest, pools: Pools): InjectOptions {
  const path = resolve(request.path, pools) as Record<string, unknown>;
  const url = request.operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodePart(path[name]));
  const query = (resolve(request.query, pools) as [string, unknown][])
    .map(([name, value]) => `${encodePart(name)}=${encodePart(value)}`)
    .join('&');
  const base = {
    method: request.operation.method as InjectOptions['method'],
    url: query === '' ? url : `${url}?${query}`,
  };
  switch (request.body.kind) {
    case 'none':
      return { ...base, headers };
    case 'json':
      return {
        ...base,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: toJsonText(resolve(request.body.value, pools)),
      };
    case 'raw':
      return {
        ...base,
        headers: { ...headers, 'content-type': request.body.contentType },
        payload: request.body.payload,
      };
  }
}
