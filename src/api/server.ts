import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { LatencyRecorder, SyncAdmin } from '../engine/engine.ts';
import type { FlowActions } from '../flows/flow-service.ts';
import type { Logger } from '../logging/logger.ts';
import type { CampaignStore } from '../store/campaign-store.ts';
import type { MirrorReadStore } from '../store/mirror-store.ts';
import type { PersonStore } from '../store/person-store.ts';
import type { ClusterAdmin } from '../store/lease-table.ts';
import type { SchemaStore } from '../store/schema-store.ts';
import type { WebhookReceiver } from '../webhooks/webhook-receiver.ts';
import type { ApiKeyVerifier } from './api-key.ts';
import { addBearerAuth } from './bearer-auth.ts';
import { createClientErrorHandler } from './client-error-handler.ts';
import { addErrorHandling, frameworkErrorHandler } from './error-handler.ts';
import { addRequestMetrics, createApiMetrics, type ApiMetrics } from './metrics.ts';
import { mirroredEntities } from './mirror-entities.ts';
import type { ApiApp } from './routes/route.ts';
import { routeRegistrations } from './routes/routes.ts';
import { addRequestLimits, maxParamLength } from './request-limits.ts';
import { addStaticUi, type StaticUiOptions } from './static-ui.ts';
import { addStringGuard } from './string-guard.ts';
import { validatorCompiler } from './validator-compiler.ts';

/**
 * The store ports the API serves from. One object (the app's `Store` is all three) so the composition root
 * hands over its store as it is; `buildServer` passes each route only the port it names.
 */
export type ApiStore = PersonStore & MirrorReadStore & CampaignStore & SchemaStore;

export interface ServerOptions {
  readonly store: ApiStore;
  readonly logger: Logger;
  readonly apiKey: ApiKeyVerifier;
  /** The mirrored CRM entities; defaults to the built-ins plus every entity the store has rows of. */
  readonly mirrorEntities?: () => Promise<readonly string[]>;
  /** Largest accepted request body in bytes (default 1 MiB); larger → 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimit?: number;
  /** The sync engine's administration port; without it the sync routes answer 503 SYNC_UNAVAILABLE. */
  readonly syncAdmin?: SyncAdmin;
  /** Defaults to a registry of this server's own, with sync gauges read from `syncAdmin`. */
  readonly metrics?: ApiMetrics;
  /** The engine's latency samples (B2.8), observed into the `syncline_sync_latency_seconds` histograms. */
  readonly latency?: Pick<LatencyRecorder, 'onSample'>;
  /** The flow actions (B7); without them the action routes answer 503 FLOWS_UNAVAILABLE. */
  readonly flows?: FlowActions;
  /**
   * Called after a request that wrote persons has been answered (so its store write has committed): the
   * campaign runner's wake-up, so campaigns run in real time rather than at the next poll (B7.5).
   */
  readonly onPersonsWritten?: () => void;
  /**
   * The Dataverse webhook receiver (B2.8) at `POST /api/v1/webhooks/dataverse`; absent → the route answers 404
   * WEBHOOKS_OFF.
   */
  readonly webhooks?: WebhookReceiver;
  /** The cluster's replicas and leases (B2.9): `GET /api/v1/cluster` and the lease metrics. */
  readonly cluster?: ClusterAdmin;
  /** Serves the admin console from this folder at `/` (interfaces.md §5); absent → the API alone. */
  readonly ui?: StaticUiOptions;
}

export interface RouteSummary {
  readonly method: string;
  readonly url: string;
}

const routesByApp = new WeakMap<object, RouteSummary[]>();

/** Every route the app registered, plugins' included (tests enumerate them, e.g. to check auth on all). */
export function registeredRoutes(app: ApiApp): readonly RouteSummary[] {
  return routesByApp.get(app) ?? [];
}

/**
 * Builds the HTTP API (interfaces.md §4) without listening, so tests drive it with `inject()` and the
 * composition root (app.ts) decides where it listens. The caller owns `close()`.
 */
export async function buildServer(options: ServerOptions): Promise<ApiApp> {
  const logger = options.logger.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request info logs would drown the sync's own logs; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    frameworkErrors: frameworkErrorHandler,
    // Requests Node's HTTP parser refuses (headers over 16 KB, a URL too long to parse) get the API's error body.
    clientErrorHandler: createClientErrorHandler(logger),
    routerOptions: { maxParamLength },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const routes: RouteSummary[] = [];
  routesByApp.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.setValidatorCompiler(validatorCompiler);
  // Only JSON bodies: without this, a text/plain body would reach validation and answer 400 instead of 415.
  app.removeContentTypeParser('text/plain');
  addErrorHandling(app, routes);
  addRequestLimits(app);
  addBearerAuth(app, options.apiKey);
  addStringGuard(app);
  const metrics =
    options.metrics ??
    createApiMetrics({ syncAdmin: options.syncAdmin, cluster: options.cluster, logger: options.logger });
  addRequestMetrics(app, metrics);
  if (options.latency !== undefined) {
    const stop = options.latency.onSample((direction, ms) => metrics.observeLatency(direction, ms / 1000));
    app.addHook('onClose', async () => {
      stop();
    });
  }
  const onPersonsWritten = options.onPersonsWritten;
  if (onPersonsWritten !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      const writes = request.method !== 'GET' && request.method !== 'HEAD';
      if (writes && reply.statusCode < 400 && request.routeOptions.url?.startsWith('/api/v1/persons'))
        onPersonsWritten();
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Syncline API',
        version: '1',
        description:
          'Persons, person fields, activities, the read-only CRM mirror and the sync administration of Syncline. ' +
          'Every error answers `{"error": {"code", "message", "details"}}` with a stable code (docs/errors.md), ' +
          'also for requests refused before any route runs: 413, 414, 415 and 431, declared on each operation.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer' },
          // The webhook receiver only (B2.8): the key Dataverse sends with each webhook.
          webhookKey: { type: 'apiKey', in: 'query', name: 'code' },
          webhookKeyHeader: { type: 'apiKey', in: 'header', name: 'x-syncline-webhook-key' },
        },
      },
      security: [{ apiKey: [] }],
    },
  });
  // Serves its bundled assets: the docs work offline, with no CDN. Public like /openapi.json (interfaces.md
  // §4): a browser cannot send the bearer key, and the pages hold no data. In a context of their own, so the
  // hook marks only the docs' routes.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  const dependencies = {
    persons: options.store,
    mirror: options.store,
    campaigns: options.store,
    schema: options.store,
    mirrorEntities: options.mirrorEntities ?? (() => mirroredEntities(options.store)),
    ...(options.syncAdmin === undefined ? {} : { syncAdmin: options.syncAdmin }),
    ...(options.flows === undefined ? {} : { flows: options.flows }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    metrics,
  };
  for (const register of routeRegistrations) register(app, dependencies);
  if (options.ui !== undefined) await addStaticUi(app, options.ui);
  await app.ready();
  return app;
}
