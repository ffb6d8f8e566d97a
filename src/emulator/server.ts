import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from '../logging/logger.ts';
import { silentLogger } from '../logging/logger.ts';
import { handleControl } from './control/control-routes.ts';
import { EmulatorCore, type DispatchRequest, type DispatchResponse } from './emulator-core.ts';
import { emulatorFixtures } from './emulator-fixtures.ts';
import { dataverseCodes } from './http/dataverse-error.ts';
import { jsonResponse, type EmulatorResponse, type Usage } from './http/emulator-request.ts';
import type { SeedOptions } from './seed/demo-seed.ts';
import type { BulkSettings, EmulatorState } from './state/emulator-state.ts';
import type { TokenIssuer } from './security/identities.ts';
import { registerBatchRoute } from './batch/register-batch-route.ts';
import { registerTrafficControl } from './limits/register-traffic-control.ts';
import { TrafficControl } from './limits/traffic-control.ts';
import { registerIdentityRoutes } from './tokens/register-identity-routes.ts';
import type { TlsIdentity } from './tokens/self-signed-certificate.ts';
import { registerWebhooks } from './webhooks/register-webhooks.ts';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.ts';
import type { WebhookSettings } from './webhooks/webhook-settings.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Rows read/written by this request (set after the Web API handled it), for the limits module. */
    emulatorUsage: Usage | null;
  }
}

export interface EmulatorOptions {
  /**
   * Bearer token of the sync user (default `emulator-sync-token`); several = several application users, each a
   * systemuser with its own limits (interfaces.md §3).
   */
  readonly syncToken?: string | readonly string[];
  /** Bearer token of the System Administrator (default `emulator-admin-token`). */
  readonly adminToken?: string;
  readonly seed?: SeedOptions;
  readonly logger?: Logger;
  /** Serve HTTPS with this key and certificate (`syncline emulator --tls`, docs/emulator-tls.md). */
  readonly tls?: TlsIdentity;
  /**
   * How the bulk messages behave (also `PUT /_emulator/bulk`; docs/emulator.md "Bulk messages"). Default:
   * per-target ETags ignored, CreateMultiple/UpdateMultiple available on every table.
   */
  readonly bulk?: Partial<BulkSettings>;
  /** Webhook faults and ordering (also `PUT /_emulator/webhooks`; docs/emulator.md "Webhooks"). Default off. */
  readonly webhooks?: Partial<WebhookSettings>;
  /**
   * How old `RetrieveTotalRecordCount`'s snapshot may get before a request retakes it (also
   * `PUT /_emulator/record-counts`; docs/emulator.md "Record counts"). Default 86400 (a day, like Dataverse);
   * 0 = always live.
   */
  readonly recordCountRefreshSeconds?: number;
}

export interface Emulator {
  readonly app: FastifyInstance;
  readonly core: EmulatorCore;
  readonly state: EmulatorState;
  readonly tokenIssuer: TokenIssuer;
  /** Runs a request through the same handlers as HTTP (used by `$batch` for each part). */
  dispatch(request: DispatchRequest): Promise<DispatchResponse>;
  /** All-or-nothing group of dispatches (a `$batch` changeset). */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Service protection and faults (`PUT /_emulator/limits`, `/_emulator/faults`). */
  readonly traffic: TrafficControl;
  /** Webhook delivery; `idle()` waits for deliveries in flight. */
  readonly webhooks: WebhookDispatcher;
}

const apiRoot = '/api/data/v9.2';

/**
 * Builds the emulator's HTTP app without listening (tests use it directly or call `listen` on port 0).
 *
 * Extension point for the protocol modules (src/emulator/batch, limits, tokens, webhooks): register their
 * routes and hooks in `registerProtocolModules` below. Fastify's `onRequest` hooks run before any handler
 * here (admit/reject a request); `onResponse` hooks can read `request.emulatorUsage`; a static route such as
 * `POST /api/data/v9.2/$batch` takes precedence over the catch-all Web API route.
 */
export function buildEmulator(options: EmulatorOptions = {}): Emulator {
  const logger = options.logger ?? silentLogger();
  const core = new EmulatorCore({
    syncToken: options.syncToken ?? emulatorFixtures.defaultSyncToken,
    adminToken: options.adminToken ?? emulatorFixtures.defaultAdminToken,
    logger: logger.child({ component: 'emulator' }),
    seed: options.seed ?? { seed: 'demo' },
    bulk: options.bulk,
    recordCountRefreshSeconds: options.recordCountRefreshSeconds,
  });
  // No Fastify logger: per-request logs would dominate at benchmark rates; errors are logged by the core.
  const app: FastifyInstance = Fastify({
    logger: false,
    frameworkErrors: (error, _request, reply) => {
      void send(
        reply,
        jsonResponse(
          400,
          JSON.stringify({ error: { code: dataverseCodes.odataError, message: error.message } }),
        ),
      );
    },
    bodyLimit: 64 * 1024 * 1024,
    routerOptions: { maxParamLength: 32_768 },
    ...(options.tls ? { serverFactory: httpsServerFactory(options.tls) } : {}),
  });
  app.decorateRequest('emulatorUsage', null);
  // Errors Fastify raises itself (bad URL encoding, oversized body…) also get Dataverse's error shape.
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) logger.error({ err: error }, 'emulator: unexpected HTTP error');
    const message = status === 500 ? 'An unexpected error occurred.' : error.message;
    return send(
      reply,
      jsonResponse(
        status,
        JSON.stringify({
          error: { code: status === 500 ? dataverseCodes.internal : dataverseCodes.odataError, message },
        }),
      ),
    );
  });
  // Bodies arrive as text: malformed JSON must get Dataverse's error shape, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const emulator: Emulator = {
    app,
    core,
    state: core.state,
    tokenIssuer: core.identities,
    dispatch: (request) => core.dispatch(request),
    transaction: (fn) => core.transaction(fn),
    traffic: new TrafficControl(),
    webhooks: registerWebhooks({
      app,
      state: core.state,
      fls: core.fls,
      organization: webhookOrganization,
      logger,
      settings: options.webhooks,
      authenticate: (authorization) => core.identities.authenticate(authorization),
      unauthorized: (origin) => core.unauthorized(origin),
    }),
  };

  app.addHook('onRequest', async () => {
    core.state.stats.requests += 1;
  });
  core.state.moreStats = () => {
    const traffic = emulator.traffic.stats();
    return {
      admitted: traffic.admitted,
      throttledPerLimit: traffic.throttled,
      admittedPerUser: traffic.admittedByUser,
      throttledPerUser: traffic.throttledByUser,
      faults: traffic.faults,
      faultsPerUser: traffic.faultsByUser,
      webhooks: emulator.webhooks.stats(),
    };
  };
  registerProtocolModules(emulator);

  const webApi = async (request: FastifyRequest, reply: FastifyReply) => {
    await core.state.whenIdle();
    const usage: Usage = { rowsRead: 0, rowsWritten: 0 };
    const response = core.execute(
      {
        method: request.method,
        url: request.raw.url ?? '/',
        headers: flatHeaders(request),
        body: typeof request.body === 'string' ? request.body : undefined,
        origin: originOf(request),
      },
      usage,
    );
    request.emulatorUsage = usage;
    return send(reply, response);
  };
  app.all(apiRoot, webApi);
  app.all(`${apiRoot}/*`, webApi);

  const control = async (request: FastifyRequest<{ Params: { action: string } }>, reply: FastifyReply) => {
    await core.state.whenIdle();
    const caller = core.identities.authenticate(request.headers.authorization);
    const body = typeof request.body === 'string' ? request.body : undefined;
    return send(
      reply,
      handleControl(core, caller, request.method, request.params.action, body, originOf(request)),
    );
  };
  app.all('/_emulator/:action', control);

  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      jsonResponse(
        404,
        JSON.stringify({
          error: {
            code: dataverseCodes.odataError,
            message: `No HTTP resource was found that matches the request URI '${request.url}'.`,
          },
        }),
      ),
    ),
  );
  return emulator;
}

/** Protocol modules ($batch, limits & faults, OAuth token endpoint, webhooks) plug in here. */
function registerProtocolModules(emulator: Emulator): void {
  const { app, core } = emulator;
  const authenticate = (authorization: string | undefined) => core.identities.authenticate(authorization);
  const unauthorized = (origin: string) => core.unauthorized(origin);
  const limits = registerTrafficControl(
    {
      app,
      authenticate,
      unauthorized,
      usageOf: (request) => request.emulatorUsage,
      countThrottled: () => (core.state.stats.throttled += 1),
    },
    emulator.traffic,
  );
  registerBatchRoute(
    {
      app,
      authenticate,
      unauthorized,
      dispatch: (request) => core.dispatch(request),
      transaction: (fn) => core.transaction(fn),
    },
    (request, usage) => limits.recordUsage(request, usage),
  );
  registerIdentityRoutes(app, core.identities);
}

const webhookOrganization = {
  id: emulatorFixtures.organizationId,
  name: emulatorFixtures.organizationName,
  businessUnitId: emulatorFixtures.businessUnitId,
};

function httpsServerFactory(tls: TlsIdentity) {
  // Fastify types its server as http.Server; an https.Server serves requests the same way.
  return (handler: Parameters<typeof createHttpsServer>[1]) =>
    createHttpsServer({ key: tls.key, cert: tls.cert }, handler) as unknown as HttpServer;
}

/** Listens (port 0 picks a free port) and returns the base URL. */
export async function startEmulator(
  options: EmulatorOptions & { host?: string; port?: number } = {},
): Promise<Emulator & { url: string; close(): Promise<void> }> {
  const emulator = buildEmulator(options);
  const host = options.host ?? '127.0.0.1';
  await emulator.app.listen({ host, port: options.port ?? 8081 });
  const address = emulator.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { ...emulator, url, close: () => emulator.app.close() };
}

function flatHeaders(request: FastifyRequest): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers))
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  return headers;
}

function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

function send(reply: FastifyReply, response: EmulatorResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  // A Buffer keeps Fastify from rewriting the Content-Type (it would add charset and quote parameters).
  return reply.send(response.body === '' ? undefined : Buffer.from(response.body));
}
