import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestOrigin, sendMessage } from '../batch/fastify-adapter.ts';
import { dataverseErrorResponse, type HttpMessageResponse } from '../batch/http-message.ts';
import { invalidArgumentCode } from '../batch/batch-error.ts';

/** What a protocol module's settings route needs from the emulator core. */
export interface SettingsRouteHost {
  readonly app: FastifyInstance;
  authenticate(authorization: string | undefined): { readonly isAdmin: boolean } | undefined;
  unauthorized(origin: string): HttpMessageResponse;
}

/**
 * `GET|PUT /_emulator/<name>` for a protocol module's settings (limits, faults, webhooks), administrator
 * token only: GET answers `current()`, PUT hands the parsed JSON body to `apply`, which answers.
 */
export function registerSettingsRoute(
  host: SettingsRouteHost,
  name: string,
  apply: (body: unknown) => HttpMessageResponse,
  current: () => unknown,
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = host.authenticate(request.headers.authorization);
    if (caller === undefined) return sendMessage(reply, host.unauthorized(requestOrigin(request)));
    if (!caller.isAdmin) {
      return sendMessage(
        reply,
        dataverseErrorResponse(403, invalidArgumentCode, 'The control API requires the administrator token.'),
      );
    }
    if (request.method === 'GET') {
      return sendMessage(reply, {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(current()),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      return sendMessage(
        reply,
        dataverseErrorResponse(400, invalidArgumentCode, 'The body must be valid JSON.'),
      );
    }
    return sendMessage(reply, apply(body));
  };
  host.app.route({ method: ['GET', 'PUT'], url: `/_emulator/${name}`, handler });
}
