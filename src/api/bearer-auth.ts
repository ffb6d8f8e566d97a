import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SynclineError } from '../errors/syncline-error.ts';
import type { ApiKeyVerifier } from './api-key.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no API key (`/health`, `/ready`, `/openapi.json`, `/docs`…, the webhook receiver: interfaces.md §4). */
    public?: boolean;
  }
}

/**
 * Requires `Authorization: Bearer <api key>` on every route not marked `config.public` (interfaces.md §4 lists
 * those), including unknown routes (so an unauthenticated caller learns nothing about which routes exist).
 * Must be added before any route is registered.
 */
export function addBearerAuth(app: FastifyInstance, verifier: ApiKeyVerifier): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public === true) return;
    const key = bearerKey(request);
    if (key === undefined || !verifier.verify(key)) {
      throw new SynclineError(
        'UNAUTHORIZED',
        'Missing or wrong API key: send "Authorization: Bearer <api key>".',
      );
    }
  });
}

function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
