import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DataverseConnector } from '../../src/connectors/dataverse/dataverse-connector.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { defaultEngineSettings, type EngineDeps, type EngineSettings } from '../../src/engine/engine-deps.ts';
import { SyncService } from '../../src/engine/sync-service.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import type { Person } from '../../src/store/store.ts';
import { openTestStore, type StoreKind, type TestStore } from '../helpers/test-store.ts';

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

export interface SyncWorld {
  readonly emulator: EmulatorProcess;
  readonly crm: ReturnType<typeof crmAdmin>;
  readonly testStore: TestStore;
  readonly deps: EngineDeps;
  readonly service: SyncService;
  /** Runs one pass and fails the test when the pass failed. */
  pass(): Promise<Record<string, number>>;
  personByCrmId(entity: 'lead' | 'contact', crmId: string): Promise<Person | undefined>;
  close(): Promise<void>;
}

/**
 * A store of the given kind, the emulator process reset to a small demo (or empty) data set, and a sync
 * service wired to both — the whole product minus the HTTP API.
 */
export async function openSyncWorld(
  emulator: EmulatorProcess,
  options: {
    store?: StoreKind;
    seed?: { seed: 'demo' | 'empty'; contacts?: number; leads?: number; accounts?: number };
    settings?: Partial<EngineSettings>;
  } = {},
): Promise<SyncWorld> {
  const crm = crmAdmin(emulator.url);
  const reset = await crm(
    'POST',
    '/_emulator/reset',
    options.seed ?? { seed: 'demo', contacts: 6, leads: 4, accounts: 2 },
  );
  if (reset.status >= 300)
    throw new Error(`emulator reset failed: ${reset.status} ${JSON.stringify(reset.json)}`);
  const testStore = await openTestStore(options.store ?? 'sqlite');
  const connector = new DataverseConnector({
    url: emulator.url,
    auth: { kind: 'static-token', token: emulatorFixtures.defaultSyncToken },
    logger: silentLogger(),
    retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 500, budgetMs: 30_000 },
  });
  const deps: EngineDeps = {
    store: testStore.store,
    crm: connector,
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
  return {
    emulator,
    crm,
    testStore,
    deps,
    service,
    async pass() {
      const outcome = await service.engine.runOnce('test');
      if (outcome.status !== 'succeeded') throw new Error(`pass ${outcome.status}: ${outcome.error}`);
      return outcome.counts;
    },
    async personByCrmId(entity, crmId) {
      const link = await testStore.store.getLink(entity, crmId);
      return link === undefined ? undefined : testStore.store.getPerson(link.personId);
    },
    async close() {
      await service.stop();
      await connector.close();
      await testStore.dispose();
    },
  };
}
