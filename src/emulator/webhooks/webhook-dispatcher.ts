import { randomUUID } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Logger } from '../../logging/logger.ts';
import {
  buildRemoteExecutionContext,
  maxContextBytes,
  serializeContext,
  trimOversizedContext,
} from './remote-execution-context.ts';
import { applyWebhookAuth } from './webhook-auth.ts';
import { webhookSettingsOff, type WebhookSettings } from './webhook-settings.ts';
import type {
  DeliveryOutcome,
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

/**
 * "These errors indicate a networking issue that might be resolved with another attempt. The WebHook service
 * will make one more attempt only when these error codes are returned." (Use webhooks to create external
 * handlers for server events.) The docs give no delay before it; the emulator retries at once.
 */
const retriedStatuses = new Set([502, 503, 504]);

export interface WebhookDispatcherOptions {
  /** Reads the current `serviceendpoints` / `sdkmessageprocessingsteps` from the emulator's state. */
  readonly registrations: () => WebhookRegistrations;
  readonly organization: WebhookOrganization;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  /** Called once per finished delivery (asynchronous steps become system jobs); never throws into delivery. */
  readonly onOutcome?: (outcome: DeliveryOutcome) => void | Promise<void>;
  /** Faults and ordering (`PUT /_emulator/webhooks`); default all off. */
  readonly settings?: WebhookSettings;
}

export interface WebhookStats {
  /** Deliveries answered 2xx. */
  delivered: number;
  /** Deliveries that failed (network, time-out, non-2xx after the retry, a bad auth value). */
  failed: number;
  /** Second attempts after a 502/503/504. */
  retried: number;
  /** Deliveries lost on purpose (`dropRate`). */
  dropped: number;
  /** Held deliveries sent in another order than committed (`order` reverse/shuffle). */
  reordered: number;
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
 * `RemoteExecutionContext` JSON and the `x-ms-dynamics-*` headers. A 502/503/504 gets one more attempt;
 * failures (network, time-out, non-2xx, a bad auth value) are logged and reported to `onOutcome`, never
 * thrown. The emulator delivers synchronous steps after commit too (docs/emulator-protocol.md lists the
 * differences). Settings can drop deliveries and send asynchronous ones out of commit order.
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stats: WebhookStats = { delivered: 0, failed: 0, retried: 0, dropped: 0, reordered: 0 };
  #settings: WebhookSettings = webhookSettingsOff;
  #random = xoroshiro128plus(0);
  /** Asynchronous deliveries waiting to be sent in another order (`order` reverse/shuffle). */
  #held: Array<() => Promise<void>> = [];
  #holdTimer: NodeJS.Timeout | undefined;

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'emulator-webhooks' });
    this.configure(options.settings ?? webhookSettingsOff);
  }

  /** Replaces the settings and reseeds their generator; deliveries held so far are sent now. */
  configure(settings: WebhookSettings): void {
    this.#settings = settings;
    this.#random = xoroshiro128plus(settings.seed);
    this.release();
  }

  get settings(): WebhookSettings {
    return this.#settings;
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
      const { dropRate, order } = this.#settings;
      if (dropRate > 0 && uniformFloat64(this.#random) < dropRate) {
        this.#stats.dropped += 1;
        this.#logger.debug(
          { stepId: step.id, entity: event.entity, id: event.id },
          'webhook dropped (fault)',
        );
        continue;
      }
      const send = () => this.#deliver(event, step, endpoint);
      if (step.mode === 1 && order !== 'commit') this.#hold(send);
      else this.#track(send());
    }
  }

  /** Sends every held delivery now, in the configured order, one after another; returns how many. */
  release(): number {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const batch = this.#held.splice(0);
    if (batch.length === 0) return 0;
    const { order } = this.#settings;
    if (order === 'shuffle') {
      for (let i = batch.length - 1; i > 0; i--) {
        const j = uniformInt(this.#random, 0, i);
        [batch[i], batch[j]] = [batch[j], batch[i]];
      }
    } else if (order === 'reverse') {
      batch.reverse();
    }
    if (order !== 'commit' && batch.length > 1) this.#stats.reordered += batch.length;
    this.#track(
      (async () => {
        for (const send of batch) await send();
      })(),
    );
    return batch.length;
  }

  stats(): WebhookStats {
    return { ...this.#stats };
  }

  /** Sends held deliveries and resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    this.release();
    while (this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
      this.release();
    }
  }

  #hold(send: () => Promise<void>): void {
    this.#held.push(send);
    if (this.#holdTimer === undefined) {
      this.#holdTimer = setTimeout(() => this.release(), this.#settings.holdMs);
      this.#holdTimer.unref();
    }
  }

  #track(delivery: Promise<void>): void {
    const tracked = delivery.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  async #deliver(event: RecordChangedEvent, step: WebhookStep, endpoint: WebhookEndpoint): Promise<void> {
    const correlationId = randomUUID();
    const operationId = randomUUID();
    const startedAt = Date.now();
    let target = '(invalid url)';
    let attempts = 0;
    let error: string | undefined;
    try {
      const { url, headers } = applyWebhookAuth(endpoint);
      target = url.origin + url.pathname; // never log the query string: it may hold the secret
      const context = buildRemoteExecutionContext(event, step, this.#options.organization, {
        correlationId,
        operationId,
      });
      let body = serializeContext(context);
      const oversized = Buffer.byteLength(body) > maxContextBytes;
      if (oversized) body = serializeContext(trimOversizedContext(context));
      const post = async () => {
        attempts += 1;
        const response = await (this.#options.fetch ?? fetch)(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'x-ms-dynamics-organization': this.#options.organization.host,
            'x-ms-dynamics-entity-name': event.entity,
            'x-ms-dynamics-request-name': event.message,
            'x-ms-correlation-request-id': correlationId,
            // The docs name the header, not its value.
            ...(oversized ? { 'x-ms-dynamics-msg-size-exceeded': 'true' } : {}),
            ...headers,
          },
          body,
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? defaultTimeoutMs),
        });
        await response.body?.cancel();
        return response.status;
      };
      let status = await post();
      if (retriedStatuses.has(status)) {
        this.#stats.retried += 1;
        status = await post();
      }
      if (status < 200 || status > 299) throw new Error(`the endpoint answered HTTP ${status}`);
      this.#stats.delivered += 1;
      this.#logger.debug({ stepId: step.id, target, correlationId, attempts }, 'webhook delivered');
    } catch (failure) {
      error = (failure as Error).message;
      this.#stats.failed += 1;
      this.#logger.warn(
        { stepId: step.id, endpointId: endpoint.id, target, correlationId, attempts, reason: error },
        'webhook delivery failed',
      );
    }
    try {
      await this.#options.onOutcome?.({
        event,
        step,
        endpointId: endpoint.id,
        correlationId,
        operationId,
        startedAt,
        completedAt: Date.now(),
        attempts,
        error,
      });
    } catch (failure) {
      this.#logger.error({ err: failure, stepId: step.id }, 'recording a webhook outcome failed');
    }
  }
}
