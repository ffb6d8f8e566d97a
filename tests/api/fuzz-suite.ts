import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { errorCodes } from '../../src/errors/codes.ts';
import type { StoreKind } from '../helpers/test-store.ts';
import { openFuzzApp, type FuzzApp } from './fuzz-app.ts';
import { operationsOf, type Operation, type Pools } from './fuzz-inputs.ts';
import { requestArbitrary, toInjectOptions, type FuzzRequest } from './fuzz-requests.ts';
import { auth, jsonRequest } from './support/test-server.ts';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Inputs per backend. The default (3,000) keeps `npm test` near 15 s (SQLite) and 30 s (PostgreSQL) on a shared 2-core machine; a longer
 * run by hand: `FUZZ_RUNS=10000 npx node --test tests/api/fuzz-postgres.test.ts` (FUZZ_SEED=<n> replays one).
 */
const runs = Number(process.env.FUZZ_RUNS ?? 3000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/**
 * Operations that are not fuzzed: `/metrics` answers Prometheus text, not JSON (its auth is covered by
 * auth.test.ts). Every other operation of the served document is.
 */
const skipped = new Set(['GET /metrics']);

/**
 * Operations that need the CRM. The fuzz app has none (an unreachable connector), so after validation they may
 * answer 502 CRM_UNREACHABLE — the documented answer when the CRM is down. Any other 5xx fails the run.
 */
const needsCrm = new Set([
  'GET /api/v1/sync/preview',
  'PUT /api/v1/sync/fields',
  'POST /api/v1/sync/resync',
  'POST /api/v1/sync/errors/{id}/retry',
  'POST /api/v1/persons/{id}/actions/sync-to-crm',
  'POST /api/v1/persons/{id}/actions/change-owner',
  'POST /api/v1/persons/{id}/actions/create-task',
]);

interface Tally {
  requests: number;
  hostile: number;
  byClass: Record<string, number>;
  rejectedWrites: number;
  crmUnreachable: number;
  byOperation: Record<string, Record<string, number>>;
}

/** The API fuzzed from its own OpenAPI document, on one backend (interfaces.md §4). */
export function registerFuzzTests(backend: string, kind: StoreKind): void {
  describe(`API fuzz on ${backend}`, () => {
    let fuzz: FuzzApp;
    let operations: Operation[];
    const pools: Pools = {
      personId: [],
      campaignId: [],
      fieldName: [],
      entity: ['account', 'systemuser', 'team', 'opportunity', 'contact', 'lead'],
      email: ['ada@example.com', 'GRACE@example.com', 'x@y.z'],
    };
    before(async () => {
      fuzz = await openFuzzApp(kind);
      const document = (await fuzz.app.inject({ method: 'GET', url: '/openapi.json', headers: auth })).json();
      operations = operationsOf(document);
      const fields = (
        await fuzz.app.inject({ method: 'GET', url: '/api/v1/person-fields', headers: auth })
      ).json();
      pools.fieldName.push(...fields.map((field: { name: string }) => field.name));
      for (const email of pools.email) {
        const created = await fuzz.app.inject(
          jsonRequest('POST', '/api/v1/persons', { email, firstName: 'Seed' }),
        );
        pools.personId.push(created.json().id);
      }
    });
    after(() => fuzz.close());

    test('every operation of /openapi.json is fuzzed or listed as skipped', () => {
      const names = operations.map(nameOf);
      assert.ok(names.length >= 30, names.join(', '));
      for (const name of [...skipped, ...needsCrm])
        assert.ok(names.includes(name), `${name} is not in the document`);
    });

    // Issue 13, item 7: each answered 500 on PostgreSQL (SQLite took them), after reaching the store.
    test('NUL and lone surrogates in query, path and body → 400 INVALID_CHARACTERS, nothing written', async () => {
      const personId = pools.personId[0]!;
      const raw = (method: 'POST' | 'PATCH' | 'PUT', url: string, payload: string) => ({
        method,
        url,
        headers: { ...auth, 'content-type': 'application/json' },
        payload,
      });
      const campaign = (name: string) =>
        JSON.stringify({
          name,
          enabled: true,
          trigger: { type: 'person-created' },
          filters: [],
          steps: [{ action: 'create-task', subject: 'Call' }],
        });
      for (const request of [
        { method: 'GET' as const, url: '/api/v1/persons?email=a%00b', headers: auth },
        { method: 'GET' as const, url: '/api/v1/sync/errors?q=a%00b', headers: auth },
        { method: 'GET' as const, url: '/api/v1/sync/errors?entity=contact%00', headers: auth },
        { method: 'GET' as const, url: '/api/v1/crm/acc%00ount', headers: auth },
        { method: 'DELETE' as const, url: `/api/v1/persons/${personId}%00`, headers: auth },
        raw('POST', '/api/v1/persons', '{"email":"s@example.com","firstName":"\\ud800"}'),
        raw('PATCH', `/api/v1/persons/${personId}`, '{"lastName":"x\\udfff"}'),
        raw('POST', '/api/v1/campaigns', campaign('a\u0000b')),
        raw('POST', '/api/v1/campaigns', campaign('\ud800')),
        raw('POST', `/api/v1/persons/${personId}/actions/create-task`, '{"subject":"\\udc00"}'),
      ]) {
        const before = await fuzz.fingerprint();
        const response = await fuzz.app.inject(request);
        assert.equal(response.statusCode, 400, `${request.method} ${request.url}: ${response.body}`);
        assert.equal(response.json().error.code, 'INVALID_CHARACTERS', response.body);
        assert.equal(await fuzz.fingerprint(), before, `${request.method} ${request.url} wrote`);
      }
    });

    test(`${runs} generated requests: no 5xx, documented error shape, valid 2xx bodies, rejected writes change nothing`, async (t) => {
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      const validators = new Map<string, ValidateFunction>();
      const validatorOf = (operation: Operation, status: number, schema: object) => {
        const key = `${nameOf(operation)} ${status}`;
        let validate = validators.get(key);
        if (validate === undefined) validators.set(key, (validate = ajv.compile(schema)));
        return validate;
      };
      const fuzzed = operations.filter((operation) => !skipped.has(nameOf(operation)));
      const hints = {
        openKeys: fc.oneof(
          { arbitrary: fc.constantFrom(...pools.fieldName, 'lead', 'contact', 'account'), weight: 8 },
          { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
        ),
        bodies: {
          'POST /api/v1/campaigns': validCampaign(pools),
          'PUT /api/v1/campaigns/{id}': validCampaign(pools),
        },
      };
      const tally: Tally = {
        requests: 0,
        hostile: 0,
        byClass: {},
        rejectedWrites: 0,
        crmUnreachable: 0,
        byOperation: {},
      };
      const request = fc.oneof(...fuzzed.map((operation) => requestArbitrary(operation, hints)));

      const check = async (generated: FuzzRequest) => {
        const { operation } = generated;
        const name = nameOf(operation);
        const options = toInjectOptions(generated, pools);
        const writes = operation.method !== 'GET';
        const before = writes ? await fuzz.fingerprint() : '';
        const response = await fuzz.app.inject(options);
        const status = response.statusCode;
        const where = `${options.method} ${String(options.url).slice(0, 300)} → ${status} ${response.body.slice(0, 500)}`;
        count(tally, name, status, generated.hostile);

        const json = /^application\/json/.test(String(response.headers['content-type']));
        if (status >= 400) {
          assert.ok(json, `error without a JSON body: ${where}`);
          const body = response.json();
          assert.equal(typeof body?.error?.code, 'string', where);
          assert.equal(typeof body.error.message, 'string', where);
          assert.ok(Object.hasOwn(errorCodes, body.error.code), `code not in the registry: ${where}`);
          const crmDown = needsCrm.has(name) && status === 502 && body.error.code === 'CRM_UNREACHABLE';
          if (crmDown) tally.crmUnreachable++;
          assert.ok(status < 500 || crmDown, `server error: ${where}`);
          if (writes) {
            tally.rejectedWrites++;
            assert.equal(await fuzz.fingerprint(), before, `a rejected write changed the database: ${where}`);
          }
          return;
        }
        const schema = operation.responses[String(status)];
        assert.ok(String(status) in operation.responses, `undocumented status: ${where}`);
        if (schema !== undefined && json) {
          const validate = validatorOf(operation, status, schema);
          assert.ok(validate(response.json()), `${JSON.stringify(validate.errors)}: ${where}`);
        }
        learn(pools, name, status, response.body);
      };

      const started = Date.now();
      await fc.assert(fc.asyncProperty(request, check), { numRuns: runs, seed, endOnFailure: false });
      t.diagnostic(
        `${backend}: ${tally.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      t.diagnostic(
        `${tally.hostile} with hostile parts; by status class ${JSON.stringify(tally.byClass)}; ` +
          `${tally.rejectedWrites} rejected writes, 0 changed anything; ${tally.crmUnreachable} CRM_UNREACHABLE`,
      );
      t.diagnostic(`by operation: ${JSON.stringify(tally.byOperation)}`);
    });
  });
}

const nameOf = (operation: Operation) => `${operation.method} ${operation.path}`;

function count(tally: Tally, name: string, status: number, hostile: boolean): void {
  tally.requests++;
  if (hostile) tally.hostile++;
  const statusClass = `${Math.floor(status / 100)}xx`;
  tally.byClass[statusClass] = (tally.byClass[statusClass] ?? 0) + 1;
  const perOperation = (tally.byOperation[name] ??= {});
  perOperation[status] = (perOperation[status] ?? 0) + 1;
}

/** Created ids feed later requests, so GET/PATCH/DELETE also hit things that exist. */
function learn(pools: Pools, name: string, status: number, body: string): void {
  if (status !== 201) return;
  const id = (JSON.parse(body) as { id?: unknown }).id;
  if (typeof id !== 'string') return;
  if (name === 'POST /api/v1/persons' && pools.personId.length < 200) pools.personId.push(id);
  if (name === 'POST /api/v1/campaigns' && pools.campaignId.length < 50) pools.campaignId.push(id);
}

/** A campaign that passes B7.5's rules: a trigger with what its type takes, filters on existing fields, one step. */
function validCampaign(pools: Pools): fc.Arbitrary<unknown> {
  const field = fc.constantFrom(...pools.fieldName);
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });
  return fc.record({
    name: text,
    enabled: fc.boolean(),
    trigger: fc.oneof(
      fc.record({ type: fc.constantFrom('person-created', 'added-through-api') }),
      fc.record(
        { type: fc.constant('field-changed'), field, from: fc.option(text), to: fc.option(text) },
        { requiredKeys: ['type', 'field'] },
      ),
    ),
    filters: fc.array(
      fc.oneof(
        fc.record({ field, operator: fc.constantFrom('equals', 'not-equals', 'contains'), value: text }),
        fc.record({ field, operator: fc.constantFrom('is-empty', 'is-not-empty') }),
      ),
      { maxLength: 3 },
    ),
    steps: fc.tuple(
      fc.oneof(
        fc.record({ action: fc.constant('create-task'), subject: text }),
        fc.record({ action: fc.constant('sync-to-crm'), syncAs: fc.constantFrom('lead', 'contact') }),
      ),
    ),
  });
}
