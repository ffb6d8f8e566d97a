import type { AddressInfo } from 'node:net';
import { provisionApiKey } from './api/api-key.ts';
import { buildServer } from './api/server.ts';
import { builtConsoleRoot } from './api/static-ui.ts';
import type { Config } from './config/config.ts';
import type { CrmConnector } from './connectors/connector.ts';
import { createCrmConnector } from './connectors/create-connector.ts';
import { openCrmTarget } from './crm-target.ts';
import { defaultEngineSettings, SyncService } from './engine/engine.ts';
import { CampaignRunner } from './flows/campaign-runner.ts';
import { FlowService } from './flows/flow-service.ts';
import { withFlowStatus } from './flows/flow-status.ts';
import type { Logger } from './logging/logger.ts';
import { createStore } from './store/registry.ts';
import type { Store } from './store/store.ts';

/**
 * The composition root: config → store → (emulator, sync engine) → API. It wires and starts components and
 * stops them in reverse order; it never reads the environment and never handles signals (the start command
 * does). Tests start it with port 0.
 */

export interface AppHooks {
  /**
   * Receives the API key generated on the first start (no SYNCLINE_API_KEY, none stored yet), exactly once.
   * It is a secret: show it to the operator, never log it.
   */
  readonly onGeneratedApiKey?: (key: string) => void;
  /** `false` serves the API without running the sync (tests of the API alone). */
  readonly sync?: boolean;
}

export interface RunningApp {
  /** Base URL of the API, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly store: Store;
  /** The sync (absent with `sync: false`). */
  readonly sync: SyncService | undefined;
  /** Demo mode: the embedded emulator's base URL. */
  readonly emulatorUrl: string | undefined;
  /** Stops every component, newest first; safe to call more than once. */
  stop(): Promise<void>;
}

interface Component {
  readonly name: string;
  stop(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger, hooks: AppHooks = {}): Promise<RunningApp> {
  const started: Component[] = [];
  const stopAll = onceAsync(() => stopComponents(started, logger));
  try {
    const store = await createStore(config.database, logger);
    started.push({ name: 'store', stop: () => store.close() });
    await store.migrate();

    const { verifier, generatedKey } = await provisionApiKey(config.apiKey, store);
    if (generatedKey !== undefined) hooks.onGeneratedApiKey?.(generatedKey);

    const target = await openCrmTarget(config, logger);
    started.push({ name: 'emulator', stop: () => target.stop() });
    const crm = createCrmConnector(target.crm, logger);
    started.push({ name: 'crm', stop: () => crm.close() });
    const sync = hooks.sync === false ? undefined : await startSync(config, store, crm, logger);
    // Stopped before the store closes, at a safe boundary (B2.4).
    if (sync) started.push({ name: 'sync', stop: () => sync.stop() });
    // Flow actions and campaigns do not depend on the sync: they work while it is disabled or absent (B7.4).
    const flows = createFlowService(config, store, crm, logger);
    const campaigns = new CampaignRunner(store, flows, logger);
    campaigns.start();
    started.push({ name: 'campaigns', stop: () => campaigns.stop() });

    const server = await buildServer({
      store,
      logger,
      apiKey: verifier,
      syncAdmin: sync === undefined ? undefined : withFlowStatus(sync, flows),
      flows,
      onPersonsWritten: () => campaigns.wake(),
      ui: { root: builtConsoleRoot },
    });
    started.push({ name: 'api', stop: () => server.close() });
    await server.listen({ host: config.http.host, port: config.http.port });

    return {
      url: urlOf(server.server.address() as AddressInfo),
      store,
      sync,
      emulatorUrl: target.emulatorUrl,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startSync(
  config: Config,
  store: Store,
  crm: CrmConnector,
  logger: Logger,
): Promise<SyncService> {
  const sync = createSyncService(config, store, crm, logger);
  await sync.start();
  return sync;
}

/** The sync service for this configuration (also used by `syncline sync --once`). */
export function createSyncService(
  config: Config,
  store: Store,
  crm: CrmConnector,
  logger: Logger,
): SyncService {
  return new SyncService(
    { store, crm, logger: logger.child({ component: 'sync' }), now: () => new Date() },
    { ...defaultEngineSettings, intervalSeconds: config.sync.intervalSeconds },
  );
}

/** The flow actions (B7) on the same connector and engine settings as the sync. */
function createFlowService(config: Config, store: Store, crm: CrmConnector, logger: Logger): FlowService {
  return new FlowService(
    { store, crm, logger: logger.child({ component: 'flows' }), now: () => new Date() },
    { ...defaultEngineSettings, intervalSeconds: config.sync.intervalSeconds },
  );
}

async function stopComponents(started: Component[], logger: Logger): Promise<void> {
  for (const component of started.reverse()) {
    try {
      await component.stop();
    } catch (error) {
      // Keep stopping the rest: a failed close must not leave the database connection open.
      logger.error({ err: error, component: component.name }, 'component failed to stop');
    }
  }
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function onceAsync(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
