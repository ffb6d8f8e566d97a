import { after, before } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.ts';
import { loadConfig, type DatabaseConfig } from '../../src/config/config.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { enabledSetting } from '../../src/engine/engine.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { createStore } from '../../src/store/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, type StoreKind } from '../helpers/test-store.ts';
import {
  crmAdmin,
  startEmulatorProcess,
  waitFor,
  type CrmResponse,
  type EmulatorProcess,
} from '../engine/sync-world.ts';

export { waitFor };

const apiKey = 'flow-test-key';

export interface ApiResponse {
  readonly status: number;
  readonly json: any;
}

/**
 * The whole product over real sockets for flow-action and campaign tests: the emulator as its own process
 * (reset to a small demo data set per scenario), and `startApp` on a fresh database (a SQLite file or a
 * PostgreSQL schema) with the background sync
 * **disabled** before it starts — so every scenario also proves B7.4 (flow actions work while it is off).
 */
export interface FlowWorld {
  readonly app: RunningApp;
  readonly crm: ReturnType<typeof crmAdmin>;
  /** Calls the Syncline API with the key. */
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Creates a person through the API; returns its id. */
  createPerson(fields: Record<string, unknown>): Promise<string>;
  /** The CRM rows of an entity set matching an OData filter, read as the administrator. */
  crmRows(entitySet: string, filter: string, select: string): Promise<Record<string, any>[]>;
  /** The emulator's change version: it moves with every committed CRM write. */
  crmVersion(): Promise<number>;
  /** Every activity of a person, newest first. */
  activities(personId: string): Promise<{ type: string; attributes: Record<string, any> }[]>;
}

export interface FlowWorldOptions {
  /** Runs the background sync (a pass every second) instead of disabling it (campaigns that see the sync). */
  readonly sync?: boolean;
  /** Prepares the fresh database before the app starts (e.g. a campaign that exists before the initial load). */
  readonly beforeStart?: (store: Store) => Promise<void>;
}

export function useFlowWorld(kind: StoreKind = 'sqlite', options: FlowWorldOptions = {}) {
  let emulator: EmulatorProcess | undefined;
  before(async () => {
    emulator = await startEmulatorProcess(['--seed', 'empty']);
  });
  after(() => emulator?.stop());
  return async (scenario: (world: FlowWorld) => Promise<void>): Promise<void> => {
    if (emulator === undefined) throw new Error('the emulator is not started');
    const crm = crmAdmin(emulator.url);
    await expectOk(crm('POST', '/_emulator/reset', { seed: 'demo', contacts: 2, leads: 2, accounts: 1 }));
    await expectOk(crm('PUT', '/_emulator/faults', {}));
    await expectOk(crm('PUT', '/_emulator/rules', []));
    await using database = await createTestDatabase(kind);
    await prepare(database.config, options);
    const app = await startApp(
      loadConfig({
        SYNCLINE_DB:
          database.config.kind === 'sqlite' ? `sqlite:${database.config.path}` : database.config.url,
        SYNCLINE_PORT: '0',
        SYNCLINE_API_KEY: apiKey,
        SYNCLINE_DYNAMICS_URL: emulator.url,
        SYNCLINE_DYNAMICS_TOKEN: emulatorFixtures.defaultSyncToken,
        SYNCLINE_LOG_LEVEL: 'silent',
        ...(options.sync === true ? { SYNCLINE_SYNC_INTERVAL: '1' } : {}),
      }),
      silentLogger(),
    );
    try {
      await scenario(worldOf(app, crm));
    } finally {
      await app.stop();
    }
  };
}

/**
 * B7.4: unless the scenario asks for the sync, it is off from the first instant, so no pass links or mirrors
 * anything behind the test's back.
 */
async function prepare(database: DatabaseConfig, options: FlowWorldOptions): Promise<void> {
  const store = await createStore(database, silentLogger());
  try {
    await store.migrate();
    if (options.sync !== true) await store.setSetting(enabledSetting, 'false');
    await options.beforeStart?.(store);
  } finally {
    await store.close();
  }
}

function worldOf(app: RunningApp, crm: ReturnType<typeof crmAdmin>): FlowWorld {
  const api = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    app,
    crm,
    api,
    async createPerson(fields) {
      const response = await api('POST', '/api/v1/persons', fields);
      if (response.status !== 201) throw new Error(`creating a person: ${JSON.stringify(response.json)}`);
      return response.json.id as string;
    },
    async crmRows(entitySet, filter, select) {
      const response = await expectOk(
        crm('GET', `${entitySet}?$select=${select}&$filter=${encodeURIComponent(filter)}`),
      );
      return response.json.value as Record<string, any>[];
    },
    async crmVersion() {
      return (await expectOk(crm('GET', '/_emulator/stats'))).json.version as number;
    },
    async activities(personId) {
      const response = await api('GET', `/api/v1/persons/${personId}/activities?limit=1000`);
      return response.json.items;
    },
  };
}

async function expectOk(pending: Promise<CrmResponse>): Promise<CrmResponse> {
  const response = await pending;
  if (response.status >= 300)
    throw new Error(`emulator call failed: ${response.status} ${JSON.stringify(response.json)}`);
  return response;
}
