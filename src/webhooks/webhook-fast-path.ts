import type { WebhookInstallReport } from '../connectors/connector.ts';
import type { EngineDeps, EngineSettings } from '../engine/engine.ts';
import { installWebhooks } from './webhook-install.ts';
import { createWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';
import { WebhookWorker, type WebhookWorkerOptions } from './webhook-worker.ts';

/** The CRM → marketing fast path of one process (B2.8): the receiver the API serves and the worker behind it. */
export interface WebhookFastPath {
  readonly receiver: WebhookReceiver;
  readonly worker: WebhookWorker;
  /** Registers Dataverse's webhook for this receiver at `publicUrl` (demo mode: the local API's URL). */
  install(publicUrl: string): Promise<WebhookInstallReport>;
}

export function createWebhookFastPath(
  deps: EngineDeps,
  settings: EngineSettings,
  secret: string,
  options: WebhookWorkerOptions = {},
): WebhookFastPath {
  const worker = new WebhookWorker(deps, settings, options);
  return {
    receiver: createWebhookReceiver(secret, (notification) => worker.accept(notification)),
    worker,
    install: (publicUrl) => installWebhooks(deps.crm, { publicUrl, secret }, settings),
  };
}
