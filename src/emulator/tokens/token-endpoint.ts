import { randomUUID } from 'node:crypto';
import type { HttpMessageResponse } from '../batch/http-message.ts';

/** Implemented by the emulator core: which bearer token a client secret earns. */
export interface TokenIssuer {
  /** The token for an application user's client secret, or `undefined` for an unknown secret. */
  issueFor(clientSecret: string): { accessToken: string; expiresIn: number } | undefined;
}

const noStore = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store, no-cache',
  Pragma: 'no-cache',
};

/** Entra ID's error body: `error`, `error_description` with the AADSTS code, `error_codes`, ids and time. */
export function entraError(
  origin: string,
  status: number,
  error: string,
  aadsts: number,
  description: string,
): HttpMessageResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: noStore,
    body: JSON.stringify({
      error,
      error_description:
        `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} ` +
        `Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${origin}/error?code=${aadsts}`,
    }),
  };
}

/**
 * `POST /{tenant}/oauth2/v2.0/token` — the client-credentials grant (reference §9): form-encoded `client_id`,
 * `client_secret`, `scope` (`<resource>/.default`) and `grant_type=client_credentials`. Answers Entra's token
 * JSON, or Entra's error JSON (an unknown secret → 401 `invalid_client`). The secret never appears in a
 * response or log.
 */
export function handleTokenRequest(
  request: { readonly origin: string; readonly contentType: string | undefined; readonly body: string },
  issuer: TokenIssuer,
): HttpMessageResponse {
  const { origin } = request;
  const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(request.contentType ?? '');
  const form = new URLSearchParams(isForm ? request.body : '');
  const required = (name: string) =>
    entraError(
      origin,
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    );

  const grantType = form.get('grant_type');
  if (grantType === null) return required('grant_type');
  if (grantType !== 'client_credentials') {
    return entraError(
      origin,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'. This emulator supports only client_credentials.`,
    );
  }
  const clientId = form.get('client_id');
  if (clientId === null || clientId === '') return required('client_id');
  const scope = form.get('scope');
  if (scope === null || scope === '') return required('scope');
  if (!scope.split(' ').every((s) => s.endsWith('/.default'))) {
    return entraError(
      origin,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value ` +
        `with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const secret = form.get('client_secret');
  if (secret === null || secret === '') {
    return entraError(
      origin,
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  const token = issuer.issueFor(secret);
  if (token === undefined) {
    return entraError(
      origin,
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret ` +
        `value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  return {
    status: 200,
    headers: noStore,
    body: JSON.stringify({
      token_type: 'Bearer',
      expires_in: token.expiresIn,
      ext_expires_in: token.expiresIn,
      access_token: token.accessToken,
    }),
  };
}
