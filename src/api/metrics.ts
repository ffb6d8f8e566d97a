import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Type } from 'typebox';
import type { LatencyDirection, SyncAdmin, SyncStatus } from '../engine/engine.ts';
import type { Logger } from '../logging/logger.ts';
import type { ClusterAdmin, LeaseCounters } from '../store/lease-table.ts';
import { commonErrorResponses } from './contracts/error-body.ts';
import type { ApiApp, RouteRegistration } from './routes/route.ts';

/**
 * Prometheus metrics of one API instance (`GET /metrics`, interfaces.md §4). Each instance has its own
 * `Registry` rather than prom-client's global one, so several apps in one process (tests, the CLI) never
 * collide over metric names.
 */
export interface ApiMetrics {
  /** The instance's registry; other components may register their own `syncline_*` metrics here. */
  readonly registry: Registry;
  /** Counts one answered request; `route` is the route pattern, never the raw URL (bounded label values). */
  observeRequest(request: { method: string; route: string; status: number; seconds: number }): void;
  /** One change carried to the other side in `seconds` (B2.8): the engine's latency samples. */
  observeLatency(direction: LatencyDirection, seconds: number): void;
  /** The Prometheus text of the process, HTTP and sync metrics; sync gauges are read from the engine now. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

const syncStates: readonly SyncStatus['state'][] = ['idle', 'running', 'disabled', 'failed'];

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, event-loop lag, GC) describe the process, not an app, and collecting them
 * installs observers that cannot be removed; so they are collected once per process, in a registry of their
 * own, and merged into every app's scrape.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createApiMetrics(options: {
  syncAdmin?: SyncAdmin;
  cluster?: ClusterAdmin;
  logger: Logger;
}): ApiMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'syncline_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const durations = new Histogram({
    name: 'syncline_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'syncline_sync_latency_seconds',
    help:
      'Time a change took to reach the other side (B2.8), by direction: fromCrm = the CRM modifiedon (to the ' +
      'second) to the person commit; toCrm = the marketing commit to the CRM accepting the push.',
    labelNames: ['direction'] as const,
    buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900, 3600],
    registers,
  });
  const sync = syncGauges(registers);
  const leases = leaseMetrics(registers);

  const refreshSync = async (): Promise<void> => {
    sync.reset();
    if (options.syncAdmin === undefined) return;
    try {
      sync.set(await options.syncAdmin.status());
    } catch (error) {
      // A scrape still answers with everything else; `syncline_sync_up 0` tells the engine did not.
      options.logger.warn({ err: error }, 'metrics: the sync status could not be read');
    }
  };

  return {
    registry,
    observeRequest: ({ method, route, status, seconds }) => {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    observeLatency: (direction, seconds) => latency.observe({ direction }, seconds),
    scrape: async () => {
      await refreshSync();
      leases.set(options.cluster?.counters() ?? new Map());
      return Registry.merge([processMetrics(), registry]).metrics();
    },
    contentType: registry.contentType,
  };
}

/** The `syncline_sync_*` gauges, set from one `SyncAdmin.status()` per scrape. */
function syncGauges(registers: Registry[]) {
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name: `syncline_sync_${name}`, help, labelNames, registers });
  const up = gauge('up', '1 when the sync engine answered the status request of this scrape, else 0.');
  const enabled = gauge('enabled', '1 when the background sync is enabled (B8.1).');
  const state = gauge('state', '1 for the current state of the sync (idle, running, disabled, failed).', [
    'state',
  ]);
  const passesCompleted = gauge('passes_completed', 'Passes finished since the sync was set up (B2.1).');
  const initialLoadDone = gauge('initial_load_done', '1 when the initial load has finished (B2.6).');
  const pendingToCrm = gauge('pending_to_crm', 'Records waiting to be written to the CRM (B6.5).', [
    'entity',
  ]);
  const pendingFromCrm = gauge(
    'pending_from_crm',
    'What the next pass would read from the CRM, counted by the CRM (B6.5; the status’s fromCrm.basis says how).',
    ['entity'],
  );
  const syncedLastHour = gauge('synced_last_hour', 'Records synced in the last hour (B6.5).', ['entity']);
  const growing = gauge('backlog_growing', '1 when the backlog grew between the last two samples (B6.5).', [
    'entity',
  ]);
  const all: { reset(): void }[] = [up, enabled, state, passesCompleted, initialLoadDone, pendingToCrm];
  all.push(pendingFromCrm, syncedLastHour, growing);
  const crm = crmMetrics(registers);
  all.push(...crm.all);

  return {
    /** Drops every value, so a failed or absent engine never leaves stale numbers behind. */
    reset(): void {
      for (const metric of all) metric.reset();
      up.set(0);
    },
    set(status: SyncStatus): void {
      up.set(1);
      enabled.set(status.enabled ? 1 : 0);
      for (const name of syncStates) state.set({ state: name }, status.state === name ? 1 : 0);
      passesCompleted.set(status.passes.completed);
      initialLoadDone.set(status.initialLoad.done ? 1 : 0);
      for (const [entity, entityStatus] of Object.entries(status.entities)) {
        pendingToCrm.set({ entity }, entityStatus.toCrm.pending);
        if (entityStatus.fromCrm.pending !== null)
          pendingFromCrm.set({ entity }, entityStatus.fromCrm.pending);
        syncedLastHour.set({ entity }, entityStatus.syncedLastHour);
        growing.set({ entity }, entityStatus.growing ? 1 : 0);
      }
      crm.set(status);
    },
  };
}

/**
 * Requests and 429s per application user (interfaces.md §2: Dataverse throttles each user on its own), labelled
 * by the user's position in the configured lists; `syncline_crm_identity_info` names its systemuser. Counters
 * since the engine started, copied from its status at each scrape.
 */
function crmMetrics(registers: Registry[]) {
  const counter = (name: string, help: string) =>
    new Counter({ name: `syncline_crm_${name}`, help, labelNames: ['identity'] as const, registers });
  const requests = counter('requests_total', 'HTTP requests sent to the CRM, by application user.');
  const throttled = counter('throttled_total', 'HTTP 429 answers (service protection), by application user.');
  const retries = counter(
    'retries_total',
    'CRM requests sent again after a transient failure, by application user.',
  );
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: `syncline_crm_${name}`, help, labelNames, registers });
  const held = gauge(
    'retry_after_seconds',
    'Seconds until a Retry-After stops holding the application user (0 when it is not held).',
    ['identity'],
  );
  const info = gauge('identity_info', 'The systemuser behind each application user (1 per user).', [
    'identity',
    'user',
    'user_id',
  ]);
  return {
    all: [requests, throttled, retries, held, info],
    set(status: SyncStatus): void {
      for (const identity of status.crm?.identities ?? []) {
        const labels = { identity: String(identity.number) };
        requests.inc(labels, identity.requests);
        throttled.inc(labels, identity.throttled);
        retries.inc(labels, identity.retries);
        const until =
          identity.retryAfterUntil === null ? 0 : Date.parse(identity.retryAfterUntil) - Date.now();
        held.set(labels, Math.max(0, until) / 1000);
        info.set({ ...labels, user: identity.name ?? '', user_id: identity.userId ?? '' }, 1);
      }
    },
  };
}

/**
 * The cluster's leases as this replica saw them since it started (B2.9): takeovers of expired holds (a holder
 * died, froze or was cut off) and renewals that failed (each is a warning; a lease's worth of them loses it).
 */
function leaseMetrics(registers: Registry[]) {
  const counter = (name: string, help: string) =>
    new Counter({ name: `syncline_lease_${name}`, help, labelNames: ['lease'] as const, registers });
  const takeovers = counter(
    'takeovers_total',
    'Leases this replica took over from a holder whose hold had expired, by lease (B2.9).',
  );
  const renewFailures = counter(
    'renew_failures_total',
    'Lease renewals of this replica that failed (PostgreSQL unreachable or slow), by lease (B2.9).',
  );
  return {
    set(counters: ReadonlyMap<string, LeaseCounters>): void {
      takeovers.reset();
      renewFailures.reset();
      for (const [lease, counted] of counters) {
        takeovers.inc({ lease }, counted.takeovers);
        renewFailures.inc({ lease }, counted.renewFailures);
      }
    },
  };
}

/** Counts every answered request, authenticated or not, by route pattern (`unmatched` for unknown URLs). */
export function addRequestMetrics(app: ApiApp, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
}

/** `GET /metrics`: authenticated like the API (interfaces.md §4). */
export const registerGetMetricsRoute: RouteRegistration = (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: process, HTTP requests and the sync (syncline_sync_*)',
        tags: ['system'],
        response: {
          200: {
            description: 'Prometheus text exposition format.',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...commonErrorResponses,
        },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.scrape()),
  );
};
