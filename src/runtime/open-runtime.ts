import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import type { CrmConnector } from '../connectors/connector.ts';
import { createCrmConnector } from '../connectors/create-connector.ts';
import {
  defaultEngineSettings,
  LatencyRecorder,
  SyncService,
  type EngineSettings,
} from '../engine/engine.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import { FlowService } from '../flows/flow-service.ts';
import type { Logger } from '../logging/logger.ts';
import { createStore } from '../store/registry.ts';
import type { Store } from '../store/store.ts';
import { createWebhookFastPath, type WebhookFastPath } from '../webhooks/webhook-fast-path.ts';
import { openCrmTarget } from './crm-target.ts';
import { EngineHold } from './engine-hold.ts';
import { ShutdownStack } from './shutdown-stack.ts';

/** The parts a command may open; `sync`, `flows` and `webhooks` run on the `store` and the `crm`, so they need both. */
export type RuntimePart = 'store' | 'crm' | 'sync' | 'flows' | 'webhooks';
type OpenedPart = RuntimePart | 'hold';

interface RuntimeParts {
  /** The marketing database (migrated when `migrate` was asked). */
  readonly store: Store;
  /** The connector to the configured CRM, or in demo mode to the embedded emulator. */
  readonly crm: CrmConnector;
  /** The sync, made but not started: `start` starts its loop, `sync --once` runs one pass on its engine. */
  readonly sync: SyncService;
  /** The flow actions (B7); they work while the sync is disabled or absent (B7.4). */
  readonly flows: FlowService;
  /** With the `sync` part: this process's hold on the database (B2.9); taken already under `require`. */
  readonly hold: EngineHold;
  /**
   * The webhook receiver and its worker (B2.8), made but not started; undefined when the receiver is off (no
   * `SYNCLINE_WEBHOOK_SECRET` outside demo mode). Demo mode makes a secret of its own for each start.
   */
  readonly webhooks: WebhookFastPath | undefined;
}

/** The opened parts; a part that was not asked for is `undefined`. */
export type Runtime<P extends RuntimePart> = {
  readonly [K in OpenedPart]: (K extends 'hold' ? 'sync' : K) extends P ? RuntimeParts[K] : undefined;
} & {
  /** Demo mode with the `crm` part: the embedded emulator's base URL. */
  readonly emulatorUrl: string | undefined;
  /** Adds a component the caller started on top of the runtime (campaigns, the API): `close()` stops it first. */
  adopt(name: string, stop: () => Promise<void>): void;
  /** Stops everything opened or adopted, newest first; safe to call more than once. */
  close(): Promise<void>;
};

export interface RuntimeOptions<P extends RuntimePart> {
  readonly parts: readonly P[];
  /** Apply pending migrations as the store opens (`start`, `sync --once`; `migrate` reports them itself). */
  readonly migrate?: boolean;
  /**
   * Open only a database that exists: a missing SQLite file fails with STORE_UNAVAILABLE instead of being
   * created (`check` must leave no database behind).
   */
  readonly existingDatabaseOnly?: boolean;
  /**
   * With the `sync` part: `require` takes the database's engine hold before anything else opens and refuses
   * with ENGINE_ALREADY_RUNNING when another engine has it; `standby` only prepares the hold and the caller
   * runs the sync while held (`EngineHold.runWhileHeld`). Default `require` (B2.9).
   */
  readonly engineHold?: 'require' | 'standby';
  /** Connector knobs that are not configuration (`check` retries briefly). */
  readonly crmTuning?: Parameters<typeof createCrmConnector>[2];
}

/**
 * Opens the parts of Syncline a command needs, in dependency order — store (→ migrations), CRM target (the
 * emulator in demo mode) → connector, then the sync and the flow actions on them — and returns them with one
 * `close()`. Every command that touches the database or the CRM opens it here, so the wiring exists once.
 * If a part fails to open, what was opened is closed before the error propagates.
 */
export async function openRuntime<P extends RuntimePart>(
  config: Config,
  logger: Logger,
  options: RuntimeOptions<P>,
): Promise<Runtime<P>> {
  const wanted = new Set<RuntimePart>(options.parts);
  const onStoreAndCrm = wanted.has('sync') || wanted.has('flows') || wanted.has('webhooks');
  if (onStoreAndCrm && !(wanted.has('store') && wanted.has('crm'))) {
    throw new Error('openRuntime: the sync, flows and webhooks parts need the store and crm parts');
  }
  const stack = new ShutdownStack(logger);
  const opened: { -readonly [K in OpenedPart]?: RuntimeParts[K] } = {};
  let emulatorUrl: string | undefined;
  try {
    if (wanted.has('store')) {
      const store = await openStore(config, logger, options.existingDatabaseOnly === true);
      stack.push('store', () => store.close());
      if (options.migrate === true) await store.migrate();
      opened.store = store;
    }
    if (wanted.has('sync')) {
      // Before the CRM target: a refused `sync --once` must not start a demo emulator first. Released after the
      // sync stopped (the stack stops newest first).
      const hold = new EngineHold(config, logger);
      // Pushed before `require`: a refused `sync --once` on PostgreSQL has started its cluster member (its
      // attempts timer and pool), which must stop too, or the process printed ENGINE_ALREADY_RUNNING and never
      // exited.
      stack.push('engine-hold', () => hold.release());
      if ((options.engineHold ?? 'require') === 'require') await hold.require();
      opened.hold = hold;
    }
    if (wanted.has('crm')) {
      const target = await openCrmTarget(config, logger);
      stack.push('emulator', () => target.stop());
      emulatorUrl = target.emulatorUrl;
      const crm = createCrmConnector(target.crm, logger, options.crmTuning);
      stack.push('crm', () => crm.close());
      opened.crm = crm;
    }
    const { store, crm } = opened;
    if (store !== undefined && crm !== undefined) {
      const settings = engineSettingsFor(config);
      const now = () => new Date();
      // B2.8: one recorder times what every path of this process carries (passes, pushes, flows, webhooks).
      const latency = new LatencyRecorder();
      // B6.6: with SYNCLINE_NOTIFY_URL every notification is queued for its POST as it is written.
      const notificationsOut = config.notify !== undefined;
      if (wanted.has('sync')) {
        // B2.9: on a PostgreSQL cluster the passes commit only while this replica holds the sync's lease.
        const fence = opened.hold?.fence('sync');
        const sync = new SyncService(
          { store, crm, logger: logger.child({ component: 'sync' }), now, latency, notificationsOut },
          settings,
          fence === undefined ? store : store.withFence(fence),
        );
        // Stopped before the connector and the store close, at a safe boundary (B2.4); harmless if never started.
        // A cluster replica hands its leases over first (B2.9), so the rest of its shutdown delays nobody.
        const hold = opened.hold;
        stack.push('sync', async () => {
          await hold?.handOver();
          await sync.stop();
        });
        opened.sync = sync;
      }
      if (wanted.has('flows')) {
        // On the same connector and engine settings as the sync.
        opened.flows = new FlowService(
          { store, crm, logger: logger.child({ component: 'flows' }), now, latency, notificationsOut },
          settings,
        );
      }
      const secret =
        config.webhooks.secret ?? (config.demo ? randomBytes(24).toString('base64url') : undefined);
      if (wanted.has('webhooks') && secret !== undefined) {
        const webhooks = createWebhookFastPath(
          { store, crm, logger, now, latency, notificationsOut },
          settings,
          secret,
        );
        // Stopped before the connector and the store close; its queue is only a shortcut (B2.8).
        stack.push('webhooks', () => webhooks.worker.stop());
        opened.webhooks = webhooks;
      }
    }
  } catch (error) {
    await stack.close();
    throw error;
  }
  return {
    store: opened.store,
    crm: opened.crm,
    sync: opened.sync,
    flows: opened.flows,
    hold: opened.hold,
    webhooks: opened.webhooks,
    emulatorUrl,
    adopt: (name, stop) => stack.push(name, stop),
    close: () => stack.close(),
  } as Runtime<P>;
}

/** The engine's settings for this configuration: the defaults with the configured interval, push delay and retention. */
function engineSettingsFor(config: Config): EngineSettings {
  return {
    ...defaultEngineSettings,
    intervalSeconds: config.sync.intervalSeconds,
    pushDelayMs: config.sync.pushDelayMs,
    syncErrorRetentionDays: config.retention.syncErrorDays,
  };
}

async function openStore(config: Config, logger: Logger, existingOnly: boolean): Promise<Store> {
  const database = config.database;
  if (existingOnly && database.kind === 'sqlite' && !existsSync(database.path)) {
    throw new SynclineError('STORE_UNAVAILABLE', `No SQLite database at ${database.path}.`);
  }
  return createStore(database, logger);
}
