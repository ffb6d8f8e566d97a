import type { AddressInfo } from 'node:net';
import { provisionApiKey } from './api/api-key.ts';
import { buildServer } from './api/server.ts';
import type { Config } from './config/config.ts';
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
}

export interface RunningApp {
  /** Base URL of the API, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly store: Store;
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

    // Demo mode (config.demo): the Dataverse emulator with the demo data set starts here, before the engine.
    // The sync engine starts here, after the store and before the API, and stops at a safe boundary (B2.4);
    // the API then receives it for the sync-administration routes.

    const server = await buildServer({ store, logger, apiKey: verifier });
    started.push({ name: 'api', stop: () => server.close() });
    await server.listen({ host: config.http.host, port: config.http.port });

    return { url: urlOf(server.server.address() as AddressInfo), store, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
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
