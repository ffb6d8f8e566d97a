import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logging/logger.ts';
import {
  buildRemoteExecutionContext,
  maxContextBytes,
  serializeContext,
  trimOversizedContext,
} from './remote-execution-context.ts';
import { applyWebhookAuth } from './webhook-auth.ts';
import type {
  RecordChangedEvent,
  WebhookEndpoint,
  WebhookOrganization,
  WebhookRegistrations,
  WebhookStep,
} from './webhook-types.ts';

/** Columns the platform maintains on every update; they never satisfy a step's filtering attributes. */
const systemMaintained = new Set(['modifiedon', 'modifiedby', 'modifiedonbehalfby', 'versionnumber']);

/** Dataverse gives a webhook 60 s to answer (reference §11). */
const defaultTimeoutMs = 60_000;

export interface WebhookDispatcherOptions {
  /** Reads the current `serviceendpoints` / `sdkmessageprocessingsteps` from the emulator's state. */
  readonly registrations: () => WebhookRegistrations;
  readonly organization: WebhookOrganization;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** The steps that fire for a change: post-operation, enabled, same message and entity, filter satisfied. */
export function matchingSteps(
  event: RecordChangedEvent,
  registrations: WebhookRegistrations,
): Array<{
  step: WebhookStep;
  endpoint: WebhookEndpoint;
}> {
  const endpoints = new Map(registrations.endpoints.map((e) => [e.id.toLowerCase(), e]));
  const changed = event.attributes.map((a) => a.name).filter((name) => !systemMaintained.has(name));
  const matches: Array<{ step: WebhookStep; endpoint: WebhookEndpoint }> = [];
  for (const step of registrations.steps) {
    const endpoint = endpoints.get(step.endpointId.toLowerCase());
    if (endpoint === undefined || endpoint.contract !== 8) continue;
    if (!step.enabled || step.stage !== 40) continue;
    if (step.message.toLowerCase() !== event.message.toLowerCase()) continue;
    if (step.entity !== null && step.entity !== event.entity) continue;
    const filter = (step.filteringAttributes ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '');
    if (event.message === 'Update' && filter.length > 0 && !changed.some((name) => filter.includes(name)))
      continue;
    matches.push({ step, endpoint });
  }
  return matches;
}

/**
 * Delivers webhooks (reference §11): after the core commits a Create/Update/Delete it calls
 * `onRecordChanged`, which returns at once; each registered step's endpoint then receives a POST with the
 * `RemoteExecutionContext` JSON and the `x-ms-dynamics-*` headers. Failures (network, time-out, non-2xx, a bad
 * auth value) are logged, never thrown. The emulator delivers synchronous steps after commit too, and does
 * not retry failed deliveries (docs/emulator-protocol.md lists the differences).
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stats = { delivered: 0, failed: 0 };

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'emulator-webhooks' });
  }

  onRecordChanged(event: RecordChangedEvent): void {
    let matches;
    try {
      matches = matchingSteps(event, this.#options.registrations());
    } catch (error) {
      this.#logger.error({ err: error }, 'reading webhook registrations failed');
      return;
    }
    for (const { step, endpoint } of matches) {
      const delivery = this.#deliver(event, step, endpoint).finally(() => this.#inFlight.delete(delivery));
      this.#inFlight.add(delivery);
    }
  }

  /** Deliveries answered 2xx and deliveries that failed (network, time-out, non-2xx), for `GET /_emulator/stats`. */
  stats(): { delivered: number; failed: number } {
    return { ...this.#stats };
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(event: RecordChangedEvent, step: WebhookStep, endpoint: WebhookEndpoint): Promise<void> {
    const correlationId = randomUUID();
    let target = '(invalid url)';
    try {
      const { url, headers } = applyWebhookAuth(endpoint);
      target = url.origin + url.pathname; // never log the query string: it may hold the secret
      const context = buildRemoteExecutionContext(event, step, this.#options.organization, {
        correlationId,
        operationId: randomUUID(),
      });
      let body = serializeContext(context);
      const oversized = Buffer.byteLength(body) > maxContextBytes;
      if (oversized) body = serializeContext(trimOversizedContext(context));
      const response = await (this.#options.fetch ?? fetch)(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'x-ms-dynamics-organization': this.#options.organization.host,
          'x-ms-dynamics-entity-name': event.entity,
          'x-ms-dynamics-request-name': event.message,
          'x-ms-correlation-request-id': correlationId,
          ...(oversized ? { 'x-ms-dynamics-msg-size-exceeded': 'true' } : {}),
          ...headers,
        },
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? defaultTimeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the endpoint answered HTTP ${response.status}`);
      this.#stats.delivered += 1;
      this.#logger.debug({ stepId: step.id, target, correlationId }, 'webhook delivered');
    } catch (error) {
      this.#stats.failed += 1;
      this.#logger.warn(
        { stepId: step.id, endpointId: endpoint.id, target, correlationId, reason: (error as Error).message },
        'webhook delivery failed',
      );
    }
  }
}
