import { maxHeaderSize } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { SynclineError } from '../errors/syncline-error.ts';
import { ErrorBody } from './contracts/error-body.ts';

/**
 * The longest request URL (path and query) the API reads, in bytes. Below Node's header limit (16 KB for the
 * request line and all headers), so a long URL is refused as such (414) rather than as "headers too large",
 * whatever headers come with it; 8 KB is also what common proxies pass on.
 */
export const maxUrlLength = 8192;

/** The longest path parameter: ids are 36-character UUIDs, entity names Dataverse logical names. */
export const maxParamLength = 100;

export function urlTooLong(): SynclineError {
  return new SynclineError(
    'URL_TOO_LONG',
    `The request URL is too long: at most ${maxUrlLength.toLocaleString('en')} bytes are accepted. Send data in a JSON body, not in the query string.`,
    { details: { maxLength: maxUrlLength } },
  );
}

/**
 * A path segment longer than `maxParamLength`: Fastify's router refuses it before routing (414) and reports the
 * whole path, which is not echoed back (it can be anything, of any size).
 */
export function pathParameterTooLong(path: string): SynclineError {
  const longest = Math.max(
    ...path
      .split('?', 1)[0]!
      .split('/')
      .map((segment) => segment.length),
  );
  return new SynclineError(
    'PATH_PARAMETER_TOO_LONG',
    `A path parameter is ${longest.toLocaleString('en')} characters long; at most ${maxParamLength} are accepted (ids are 36-character UUIDs).`,
    { details: { length: longest, maxLength: maxParamLength } },
  );
}

const bodyMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const withDescription = (description: string) => ({ ...ErrorBody, description });

/**
 * Answers that can come before any route runs, for every operation of the OpenAPI document: the client needs
 * them as much as the route's own.
 */
const anyRequest = {
  414: withDescription(
    `URL_TOO_LONG: the URL is over ${maxUrlLength} bytes; PATH_PARAMETER_TOO_LONG: a path parameter is over ${maxParamLength} characters.`,
  ),
  431: withDescription(
    `HEADERS_TOO_LARGE: the request line and headers exceed ${Math.round(maxHeaderSize / 1024)} KB.`,
  ),
};

const withBody = {
  413: withDescription('PAYLOAD_TOO_LARGE: the body is over the size limit (1 MiB unless the route says).'),
  415: withDescription('UNSUPPORTED_MEDIA_TYPE: a body that is not application/json.'),
};

/**
 * Refuses a URL over `maxUrlLength` with 414 URL_TOO_LONG before authentication (it says nothing about the API),
 * and declares the 413 / 414 / 415 / 431 answers on every documented operation. Must be added before any route
 * is registered (`onRoute` sees only routes added after it).
 */
export function addRequestLimits(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if ((request.raw.url ?? '').length > maxUrlLength) throw urlTooLong();
  });
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (schema === undefined || schema.hide === true) return;
    const methods = [route.method].flat();
    const declared = {
      ...anyRequest,
      ...(methods.some((method) => bodyMethods.has(method)) ? withBody : {}),
    };
    // The route's own declaration of a status wins (e.g. the webhook's smaller body limit).
    schema.response = { ...declared, ...(schema.response as object | undefined) };
  });
}
