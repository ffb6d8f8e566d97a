import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import type { CrmConnector, WriteOperation } from '../../src/connectors/connector.ts';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import type { RetryPolicyOptions } from '../../src/connectors/dataverse/retry-policy.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import {
  defaultEngineSettings,
  SyncService,
  type EngineDeps,
  type EngineSettings,
} from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { openTestStore, type StoreKind, type TestStore } from '../helpers/test-store.ts';
import type { Person, PersonValue } from '../../src/domain/person.ts';
import type { Activity } from '../../src/store/person-store.ts';

/** The emulator as its own process (issue 4: the engine is tested over real HTTP against a separate process). */
export interface EmulatorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(args: readonly string[] = []): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ['src/main.ts', 'emulator', '--port', '0', ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, SYNCLINE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const match = /listening on (http\S+?)\/api\/data\/v9\.2\//.exec(line);
      if (match) resolve(match[1]);
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export interface CrmResponse {
  readonly status: number;
  readonly json: any;
  readonly headers: Headers;
}

/** A person working in the CRM: the System Administrator through the plain Web API. */
export function crmAdmin(url: string) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<CrmResponse> => {
    const response = await fetch(`${url}${path.startsWith('/') ? '' : '/api/data/v9.2/'}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${emulatorFixtures.defaultAdminToken}`,
        accept: 'application/json',
        'odata-version': '4.0',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: text === '' ? undefined : JSON.parse(text),
      headers: response.headers,
    };
  };
}

/** One call the engine made on the CRM port (recorded so tests can see what was read and written). */
export interface ConnectorCall {
  readonly method: string;
  readonly entity: string | undefined;
  /** `$select` of reads. */
  readonly select: readonly string[] | undefined;
  /** Operations of writes. */
  readonly operations: readonly WriteOperation[] | undefined;
}

interface WriteHooks {
  beforeWrite: (() => Promise<void>) | undefined;
  afterWrite: (() => Promise<void>) | undefined;
}

/**
 * The connector with every call recorded and an optional hook that runs before the next `write` (a person
 * editing the CRM between a pass's read and its push, B4.5).
 */
function recordingConnector(
  connector: CrmConnector,
  calls: ConnectorCall[],
  hooks: WriteHooks,
): CrmConnector {
  return new Proxy(connector, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = String(property);
      return (...args: unknown[]) => {
        const entity = typeof args[0] === 'string' ? args[0] : undefined;
        const select =
          method === 'readChanges' || method === 'readAll'
            ? (args[1] as readonly string[])
            : method === 'retrieve'
              ? (args[2] as readonly string[])
              : undefined;
        const operations = method === 'write' ? (args[0] as readonly WriteOperation[]) : undefined;
        calls.push({ method, entity: operations ? undefined : entity, select, operations });
        if (method === 'write' && hooks.beforeWrite !== undefined) {
          const hook = hooks.beforeWrite;
          hooks.beforeWrite = undefined;
          return hook().then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
        }
        if (method === 'write' && hooks.afterWrite !== undefined) {
          const hook = hooks.afterWrite;
          hooks.afterWrite = undefined;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).then(async (answer) => {
            await hook();
            return answer;
          });
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export interface SyncWorld {
  readonly emulator: EmulatorProcess;
  readonly crm: ReturnType<typeof crmAdmin>;
  readonly testStore: TestStore;
  readonly deps: EngineDeps;
  readonly service: SyncService;
  /** Every call the engine made on the CRM port, oldest first; tests may clear it. */
  readonly calls: ConnectorCall[];
  /** Runs one pass and fails the test when the pass failed. */
  pass(): Promise<Record<string, number>>;
  personByCrmId(entity: 'lead' | 'contact', crmId: string): Promise<Person | undefined>;
  /** The person linked to the record; fails the test when there is none. */
  linkedPerson(entity: 'lead' | 'contact', crmId: string): Promise<Person>;
  /** A marketing user edits a person (origin `api`, so the next pass pushes it). */
  editPerson(personId: string, fields: Record<string, PersonValue>): Promise<Person>;
  /** Every activity of the person, newest first. */
  activities(personId: string): Promise<Activity[]>;
  /** Creates a record as the CRM administrator; returns its id. */
  crmCreate(entity: string, values: Record<string, unknown>): Promise<string>;
  /** Updates a record as the CRM administrator (no `If-Match`). */
  crmUpdate(entity: string, id: string, values: Record<string, unknown>): Promise<void>;
  crmDelete(entity: string, id: string): Promise<void>;
  /** The real `QualifyLead` action as the CRM administrator (a contact, no account); returns the contact's id. */
  crmQualifyLead(leadId: string): Promise<string>;
  /** Reads a record as the CRM administrator. */
  crmGet(entity: string, id: string, select: readonly string[]): Promise<Record<string, unknown>>;
  /** The emulator's change version: it moves with every committed CRM write, by anyone. */
  crmVersion(): Promise<number>;
  /** Runs `edit` right before the engine's next CRM write (once). */
  beforeNextWrite(edit: () => Promise<void>): void;
  /** Runs `edit` once the engine's next CRM write has landed, before the engine sees the answer (once). */
  afterNextWrite(edit: () => Promise<void>): void;
  /** The write operations the engine sent since the calls were last cleared. */
  writes(): WriteOperation[];
  close(): Promise<void>;
}

/** Entity set names of the entities the scenarios write as the administrator. */
const entitySets: Readonly<Record<string, string>> = {
  contact: 'contacts',
  lead: 'leads',
  account: 'accounts',
  opportunity: 'opportunities',
  new_subscription: 'new_subscriptions',
  systemuser: 'systemusers',
  team: 'teams',
};

function entitySet(entity: string): string {
  const set = entitySets[entity];
  if (set === undefined) throw new Error(`no entity set known for ${entity}`);
  return set;
}

function expectStatus(response: CrmResponse, what: string): void {
  if (response.status >= 300)
    throw new Error(`${what} failed: ${response.status} ${JSON.stringify(response.json)}`);
}

export { waitFor } from '../helpers/wait-for.ts';

export interface WorldOptions {
  readonly store?: StoreKind;
  readonly seed?: { seed: 'demo' | 'empty'; contacts?: number; leads?: number; accounts?: number };
  readonly settings?: Partial<EngineSettings>;
  /** The sync user's bearer token (default: the emulator's sync token). */
  readonly token?: string;
  /** The connector's retry policy (tests of transient failures widen it so they cannot flake). */
  readonly retry?: Partial<RetryPolicyOptions>;
}

/**
 * One emulator process for the calling suite (started in `before`, stopped in `after`) and `run`, which gives
 * one scenario a fresh world and closes it whatever happens.
 */
export function useEmulator(args: readonly string[] = ['--seed', 'empty']) {
  let emulator: EmulatorProcess | undefined;
  before(async () => {
    emulator = await startEmulatorProcess(args);
  });
  after(() => emulator?.stop());
  return {
    get process(): EmulatorProcess {
      if (emulator === undefined) throw new Error('the emulator is not started yet');
      return emulator;
    },
    async run(options: WorldOptions, scenario: (world: SyncWorld) => Promise<void>): Promise<void> {
      const world = await openSyncWorld(this.process, options);
      try {
        await scenario(world);
      } finally {
        await world.close();
      }
    },
  };
}

/**
 * A store of the given kind, the emulator process reset to a small demo (or empty) data set, and a sync
 * service wired to both — the whole product minus the HTTP API. Limits, faults (webhook faults too) and plug-in
 * rules are cleared.
 */
export async function openSyncWorld(
  emulator: EmulatorProcess,
  options: WorldOptions = {},
): Promise<SyncWorld> {
  const crm = crmAdmin(emulator.url);
  // The record-count snapshot's age limit outlives a reset: back to Dataverse's day before the reset retakes it.
  expectStatus(
    await crm('PUT', '/_emulator/record-counts', { refreshSeconds: 86_400 }),
    'resetting record counts',
  );
  const reset = await crm(
    'POST',
    '/_emulator/reset',
    options.seed ?? { seed: 'demo', contacts: 6, leads: 4, accounts: 2 },
  );
  expectStatus(reset, 'emulator reset');
  expectStatus(await crm('PUT', '/_emulator/limits', {}), 'clearing limits');
  expectStatus(await crm('PUT', '/_emulator/faults', {}), 'clearing faults');
  expectStatus(await crm('PUT', '/_emulator/rules', []), 'clearing rules');
  expectStatus(await crm('PUT', '/_emulator/webhooks', {}), 'clearing webhook faults');
  const testStore = await openTestStore(options.store ?? 'sqlite');
  const connector = new DataverseConnector({
    url: emulator.url,
    auth: { kind: 'static-token', token: options.token ?? emulatorFixtures.defaultSyncToken },
    logger: silentLogger(),
    retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 500, budgetMs: 30_000, ...options.retry },
  });
  const calls: ConnectorCall[] = [];
  const hooks: WriteHooks = { beforeWrite: undefined, afterWrite: undefined };
  const deps: EngineDeps = {
    store: testStore.store,
    crm: recordingConnector(connector, calls, hooks),
    logger: silentLogger(),
    now: () => new Date(),
  };
  const settings: EngineSettings = {
    ...defaultEngineSettings,
    intervalSeconds: 3600,
    pageSize: 50,
    ...options.settings,
  };
  const service = new SyncService(deps, settings);
  const store = testStore.store;
  return {
    emulator,
    crm,
    testStore,
    deps,
    service,
    calls,
    async pass() {
      const outcome = await service.engine.runOnce('test');
      if (outcome.status !== 'succeeded') throw new Error(`pass ${outcome.status}: ${outcome.error}`);
      return outcome.counts;
    },
    async personByCrmId(entity, crmId) {
      const link = await store.getLink(entity, crmId);
      return link === undefined ? undefined : store.getPerson(link.personId);
    },
    async linkedPerson(entity, crmId) {
      const link = await store.getLink(entity, crmId);
      const person = link === undefined ? undefined : await store.getPerson(link.personId);
      if (person === undefined) throw new Error(`no person is linked to ${entity} ${crmId}`);
      return person;
    },
    async editPerson(personId, fields) {
      const person = await store.updatePerson(personId, fields, 'api');
      if (person === undefined) throw new Error(`no person ${personId}`);
      return person;
    },
    async activities(personId) {
      const all: Activity[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listActivities(personId, { limit: 1000, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return all;
    },
    async crmCreate(entity, values) {
      const response = await crm('POST', entitySet(entity), values, { prefer: 'return=representation' });
      expectStatus(response, `creating a ${entity}`);
      return response.json[`${entity}id`] as string;
    },
    async crmUpdate(entity, id, values) {
      expectStatus(await crm('PATCH', `${entitySet(entity)}(${id})`, values), `updating ${entity} ${id}`);
    },
    async crmDelete(entity, id) {
      expectStatus(await crm('DELETE', `${entitySet(entity)}(${id})`), `deleting ${entity} ${id}`);
    },
    async crmQualifyLead(leadId) {
      const qualified = await crm('POST', `leads(${leadId})/Microsoft.Dynamics.CRM.QualifyLead`, {
        CreateAccount: false,
        CreateContact: true,
        CreateOpportunity: false,
        Status: 3,
      });
      expectStatus(qualified, `qualifying lead ${leadId}`);
      const contact = qualified.json.value.find(
        (row: any) => row['@odata.type'] === '#Microsoft.Dynamics.CRM.contact',
      );
      if (contact === undefined) throw new Error('QualifyLead created no contact');
      return contact.contactid as string;
    },
    async crmGet(entity, id, select) {
      const response = await crm('GET', `${entitySet(entity)}(${id})?$select=${select.join(',')}`);
      expectStatus(response, `reading ${entity} ${id}`);
      return response.json as Record<string, unknown>;
    },
    async crmVersion() {
      const response = await crm('GET', '/_emulator/stats');
      expectStatus(response, 'reading emulator stats');
      return response.json.version as number;
    },
    beforeNextWrite(edit) {
      hooks.beforeWrite = edit;
    },
    afterNextWrite(edit) {
      hooks.afterWrite = edit;
    },
    writes() {
      return calls.flatMap((call) => call.operations ?? []);
    },
    async close() {
      await service.stop();
      await connector.close();
      await testStore.dispose();
    },
  };
}
