import type { FastifyRequest } from 'fastify';
import { sendMessage } from '../batch/fastify-adapter.ts';
import { registerSettingsRoute, type SettingsRouteHost } from '../control/register-settings-route.ts';
import { putFaults, putLimits } from './control-routes.ts';
import type { RequestTicket, RequestUsage, TrafficControl } from './traffic-control.ts';

/** What service protection needs from the emulator core. */
export interface TrafficHost extends SettingsRouteHost {
  authenticate(
    authorization: string | undefined,
  ): { readonly userId: string; readonly isAdmin: boolean } | undefined;
  /** Rows the Web API handler read and wrote for this request (the core sets it). */
  usageOf(request: FastifyRequest): { rowsRead: number; rowsWritten: number } | null;
  /** Counts a 429 in `GET /_emulator/stats`. */
  countThrottled(): void;
}

interface Tracked {
  ticket: RequestTicket;
  usage?: RequestUsage;
  finished: boolean;
}

const webApiPrefix = '/api/data/v9.2';

/**
 * Hooks `TrafficControl` into the server: every authenticated Web API request (a `$batch` once) is admitted
 * in `onRequest` — or answered 429 / an injected 5xx before any handler runs — and finished in `onSend`, which
 * holds the response for the simulated execution time, or destroys the connection for drop-after-commit.
 * Also serves `PUT|GET /_emulator/limits` and `/_emulator/faults` (administrator token).
 */
export function registerTrafficControl(
  host: TrafficHost,
  traffic: TrafficControl,
): { recordUsage(request: object, usage: RequestUsage): void } {
  const tracked = new WeakMap<object, Tracked>();
  const { app } = host;

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith(webApiPrefix)) return;
    const caller = host.authenticate(request.headers.authorization);
    if (caller === undefined) return; // the handler answers 401; unauthenticated calls are not metered
    const admission = traffic.admit(caller.userId);
    if (!admission.admitted) {
      if (admission.response.status === 429) host.countThrottled();
      return sendMessage(reply, admission.response);
    }
    tracked.set(request, { ticket: admission.ticket, finished: false });
    reply.headers(admission.ticket.headers);
  });

  const finish = async (request: FastifyRequest) => {
    const entry = tracked.get(request);
    if (entry === undefined || entry.finished) return { dropConnection: false };
    entry.finished = true;
    const usage = entry.usage ?? host.usageOf(request) ?? { rowsRead: 0, rowsWritten: 0 };
    return entry.ticket.finish(usage);
  };

  app.addHook('onSend', async (request, reply, payload) => {
    const { dropConnection } = await finish(request);
    // Drop-after-commit: the writes stand, the client never hears back (it sees a socket error).
    if (dropConnection) reply.raw.destroy();
    return payload;
  });
  // A request the client abandoned never reaches onSend: free its concurrency slot anyway.
  app.addHook('onRequestAbort', async (request) => {
    await finish(request);
  });

  registerSettingsRoute(
    host,
    'limits',
    (body) => putLimits(traffic, body),
    () => traffic.limits,
  );
  registerSettingsRoute(
    host,
    'faults',
    (body) => putFaults(traffic, body),
    () => traffic.faults,
  );

  return {
    recordUsage(request, usage) {
      const entry = tracked.get(request);
      if (entry !== undefined) entry.usage = usage;
    },
  };
}
