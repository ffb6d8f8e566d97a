import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestOrigin, sendMessage, toMessageRequest } from '../batch/fastify-adapter.ts';
import { routeIdentityRequest } from './identity-routes.ts';
import type { TokenIssuer } from './token-endpoint.ts';

/**
 * Serves the Entra ID endpoints (token, OpenID configuration, instance discovery, keys) on the emulator's own
 * origin, for any tenant segment (docs/emulator-tls.md).
 */
export function registerIdentityRoutes(app: FastifyInstance, issuer: TokenIssuer): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const response = routeIdentityRequest(toMessageRequest(request), requestOrigin(request), issuer);
    if (response === undefined) return reply.callNotFound();
    return sendMessage(reply, response);
  };
  app.post('/:tenant/oauth2/v2.0/token', handler);
  app.get('/:tenant/v2.0/.well-known/openid-configuration', handler);
  app.get('/:tenant/discovery/instance', handler);
  app.get('/:tenant/discovery/v2.0/keys', handler);
}
