import type { HttpMessageRequest, HttpMessageResponse } from '../batch/http-message.ts';
import { instanceDiscovery, openIdConfiguration } from './openid-metadata.ts';
import { handleTokenRequest, type TokenIssuer } from './token-endpoint.ts';

function json(body: unknown): HttpMessageResponse {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

/**
 * The emulator's Entra ID surface: token endpoint, OpenID configuration, instance discovery and an (empty)
 * key set. Answers `undefined` for any other request, so the server can fall through to its own routes.
 * `origin` is the scheme, host and port the client used (e.g. `https://127.0.0.1:8443`).
 */
export function routeIdentityRequest(
  request: HttpMessageRequest,
  origin: string,
  issuer: TokenIssuer,
): HttpMessageResponse | undefined {
  const url = new URL(request.url, origin);
  const path = url.pathname;
  if (request.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
    return handleTokenRequest(
      { origin, contentType: request.headers['content-type'], body: request.body },
      issuer,
    );
  }
  if (request.method !== 'GET') return undefined;
  const match = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
  if (match !== null) {
    return json(openIdConfiguration(origin, decodeURIComponent(match[1])));
  }
  if (/^\/[^/]+\/discovery\/instance$/.test(path)) {
    return json(instanceDiscovery(origin, url.searchParams.get('authorization_endpoint')));
  }
  if (/^\/[^/]+\/discovery\/v2\.0\/keys$/.test(path)) {
    // Emulator tokens are opaque, not signed JWTs, so there are no signing keys to publish.
    return json({ keys: [] });
  }
  return undefined;
}
