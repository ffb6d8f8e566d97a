import type {
  CrmConnector,
  WebhookInstallReport,
  WebhookRegistration,
  WebhookStepKey,
} from '../connectors/connector.ts';
import { syncEntitiesOf, type EngineSettings } from '../engine/engine.ts';
import { webhookPath } from './webhook-receiver.ts';

/** The name of Syncline's service endpoint and steps in Dataverse. */
const registrationName = 'Syncline';

/** Messages that tell which records changed: their current values are read again (B2.8). */
const messages = ['Create', 'Update', 'Delete'] as const;
/** Merge changes the subordinate and the master (B3.5); Dataverse offers it on these tables. */
const mergeEntities: ReadonlySet<string> = new Set(['lead', 'contact', 'account']);

/** The receiver's URL for a public base URL (`https://sync.example.com` → `…/api/v1/webhooks/dataverse`). */
export function receiverUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${webhookPath}`;
}

/**
 * The steps the fast path needs: Create, Update and Delete of every synced entity (leads, contacts and the
 * one-way ones, B1.2), and Merge where Dataverse has it. No filtering attributes: which fields are synced
 * changes with the selection (B5.4), and a webhook for an unsynced field costs one read that changes nothing.
 * A qualify (B3.4) is an Update of the lead and a Create of the contact.
 */
export function wantedSteps(settings: EngineSettings): WebhookStepKey[] {
  return syncEntitiesOf(settings).flatMap(({ name }) => [
    ...messages.map((message) => ({ entity: name, message })),
    ...(mergeEntities.has(name) ? [{ entity: name, message: 'Merge' }] : []),
  ]);
}

export interface WebhookTarget {
  /** Where Dataverse reaches this service. */
  readonly publicUrl: string;
  /** The key Dataverse sends (`SYNCLINE_WEBHOOK_SECRET`). */
  readonly secret: string;
}

/** `syncline webhooks install` and demo mode: registers the endpoint and steps idempotently. */
export function installWebhooks(
  crm: CrmConnector,
  target: WebhookTarget,
  settings: EngineSettings,
): Promise<WebhookInstallReport> {
  return crm.installWebhook({
    url: receiverUrl(target.publicUrl),
    key: target.secret,
    name: registrationName,
    steps: wantedSteps(settings),
  });
}

export interface WebhookStatus {
  readonly url: string;
  readonly registrations: readonly WebhookRegistration[];
  /** Create, Update and Delete steps no enabled post-operation step of an endpoint with this URL covers. */
  readonly missing: readonly WebhookStepKey[];
  /** Merge steps not registered: some organisations do not offer them; a merge then crosses with the pass. */
  readonly mergeMissing: readonly WebhookStepKey[];
  /** An endpoint exists and no Create, Update or Delete step is missing. */
  readonly installed: boolean;
}

/** `syncline webhooks status` and `check`: what is registered for this URL, and what is missing. */
export async function webhookStatus(
  crm: CrmConnector,
  publicUrl: string,
  settings: EngineSettings,
): Promise<WebhookStatus> {
  const url = receiverUrl(publicUrl);
  const registrations = await crm.findWebhooks(url);
  const enabled = new Set(
    registrations.flatMap((registration) =>
      registration.steps
        .filter((step) => step.enabled && step.stage === 40)
        .map((step) => `${step.entity}/${step.message}`.toLowerCase()),
    ),
  );
  const absent = wantedSteps(settings).filter(
    (step) => !enabled.has(`${step.entity}/${step.message}`.toLowerCase()),
  );
  const missing = absent.filter((step) => step.message !== 'Merge');
  return {
    url,
    registrations,
    missing,
    mergeMissing: absent.filter((step) => step.message === 'Merge'),
    installed: registrations.length > 0 && missing.length === 0,
  };
}
