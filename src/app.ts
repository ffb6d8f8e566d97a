import type { AddressInfo } from 'node:net';
import { provisionApiKey } from './api/api-key.ts';
import { buildServer } from './api/server.ts';
import { builtConsoleRoot } from './api/static-ui.ts';
import type { Config } from './config/config.ts';
import { marketingCursorName, StoragePruner, type SyncService } from './engine/engine.ts';
import { CampaignRunner, campaignCursorName } from './flows/campaign-runner.ts';
import { withFlowStatus } from './flows/flow-status.ts';
import type { Logger } from './logging/logger.ts';
import { Notifier } from './notifications/notifier.ts';
import { openRuntime } from './runtime/open-runtime.ts';
import type { Store } from './store/store.ts';
import type { WebhookFastPath } from './webhooks/webhook-fast-path.ts';

/**
 * The composition root. `openRuntime` (src/runtime/) opens what every command shares — config → store → CRM
 * target (the emulator in demo mode) → connector → sync → flow actions — and `startApp` adds what only
 * `syncline start` runs: the API key, the sync loop, the campaigns and the API. One `stop()` stops all of it in
 * reverse order. It never reads the environment and never handles signals (the start command does). Tests
 * start it with port 0.
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

export async function startApp(config: Config, logger: Logger, hooks: AppHooks = {}): Promise<RunningApp> {
  const runtime =
    hooks.sync === false
      ? await openRuntime(config, logger, { parts: ['store', 'crm', 'flows'], migrate: true })
      : await openRuntime(config, logger, {
          parts: ['store', 'crm', 'sync', 'flows', 'webhooks'],
          migrate: true,
          // B2.9: on SQLite a second engine is refused; PostgreSQL replicas serve the API and wait for the hold.
          engineHold: config.database.kind === 'postgres' ? 'standby' : 'require',
        });
  try {
    const { store, sync, flows, webhooks } = runtime;
    const { verifier, generatedKey } = await provisionApiKey(config.apiKey, store);
    if (generatedKey !== undefined) hooks.onGeneratedApiKey?.(generatedKey);

    // Flow actions and campaigns do not depend on the sync: they work while it is disabled or absent (B7.4).
    // The campaign runner is sync work all the same (B2.9): one replica of a cluster runs it, under its lease.
    const campaignFence = runtime.hold?.fence('campaigns');
    const campaigns = new CampaignRunner(
      campaignFence === undefined ? store : store.withFence(campaignFence),
      flows,
      logger,
    );
    runtime.adopt('campaigns', () => campaigns.stop());
    if (sync !== undefined && runtime.hold !== undefined) {
      // Bounded storage, beside the engine: every reader of the marketing change feed is named here.
      const pruner = new StoragePruner(store, logger, {
        feedReaders: [marketingCursorName, campaignCursorName],
        ...config.retention,
      });
      runtime.adopt('pruner', () => pruner.stop());
      // SQLite: both run now (the file lock is held). PostgreSQL: each runs while this replica holds its lease.
      await runtime.hold.runWhileHeld({
        sync: {
          start: async () => {
            await sync.start();
            pruner.start();
          },
          stop: async () => {
            await pruner.stop();
            await sync.stop();
          },
        },
        campaigns: { start: async () => campaigns.start(), stop: () => campaigns.stop() },
      });
    } else {
      campaigns.start();
    }
    // B2.8: the fast path runs in every replica that serves the API — beside the engine, or on a PostgreSQL
    // standby — so a webhook is applied whichever replica Dataverse reaches (src/webhooks/webhook-worker.ts).
    webhooks?.worker.start();
    // B6.6: notifications out, in every replica (a claim keeps two from sending one); never inside a pass.
    if (config.notify !== undefined) {
      const notifier = new Notifier(store, config.notify, logger.child({ component: 'notifier' }));
      notifier.start();
      runtime.adopt('notifier', () => notifier.stop());
    }

    const server = await buildServer({
      store,
      logger,
      apiKey: verifier,
      syncAdmin: sync === undefined ? undefined : withFlowStatus(sync, flows),
      flows,
      onPersonsWritten: () => campaigns.wake(),
      latency: sync?.latency,
      ui: { root: builtConsoleRoot },
      ...(webhooks === undefined ? {} : { webhooks: webhooks.receiver }),
      ...(runtime.hold === undefined ? {} : { cluster: runtime.hold }),
    });
    runtime.adopt('api', () => server.close());
    await server.listen({ host: config.http.host, port: config.http.port });
    const address = server.server.address() as AddressInfo;
    if (config.demo && webhooks !== undefined) await installDemoWebhook(webhooks, address, logger);

    return {
      url: urlOf(address),
      store,
      sync,
      emulatorUrl: runtime.emulatorUrl,
      stop: () => runtime.close(),
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

/**
 * Demo mode (B2.8): the embedded emulator calls this process's receiver, so an edit in the UI or the CRM
 * crosses in about a second. A failure only costs latency: the passes still carry every change.
 */
async function installDemoWebhook(webhooks: WebhookFastPath, address: AddressInfo, logger: Logger) {
  // The emulator runs on this machine: loopback reaches the API whatever SYNCLINE_HOST it binds.
  const publicUrl = `http://127.0.0.1:${address.port}`;
  try {
    const report = await webhooks.install(publicUrl);
    logger.info(
      { steps: report.created.length + report.unchanged.length + report.enabled.length },
      'Demo mode: the emulator sends webhooks to this process (near-real-time sync, B2.8)',
    );
  } catch (error) {
    logger.warn({ err: error }, 'Demo mode: installing the webhook failed; changes cross with the passes');
  }
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
