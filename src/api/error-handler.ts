import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/codes.ts';
import type { RouteSummary } from './server.ts';
import { isSynclineError, SynclineError } from '../errors/syncline-error.ts';
import { pathParameterTooLong } from './request-limits.ts';

/** Fastify's own request errors that have a code of ours. */
const fastifyErrorCodes: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const messages: Partial<Record<ErrorCode, string>> = {
  INVALID_JSON: 'The request body is not valid JSON.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be application/json.',
};

interface ValidationProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Every error leaves the API as `{"error":{code,message,details?}}` (interfaces.md §4). Client mistakes get a
 * 4xx with a stable code; anything unexpected is logged and answered with a bare 500 INTERNAL, so no internals
 * (SQL, stack traces, paths) reach a client.
 */
export function addErrorHandling(app: FastifyInstance, routes: readonly RouteSummary[]): void {
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    // A known path with another method is a 405 with `Allow`, so a client sees its mistake is the method.
    const allowed = routes.filter((route) => routePattern(route.url).test(path)).map((route) => route.method);
    if (allowed.length > 0) {
      void reply.header('allow', [...new Set(allowed)].join(', '));
      throw new SynclineError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}.`, {
        details: { allowed: [...new Set(allowed)] },
      });
    }
    throw new SynclineError('ROUTE_NOT_FOUND', `No route ${request.method} ${path}.`);
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const known = toSynclineError(error);
    if (known === undefined || known.status >= 500) {
      request.log.error({ err: error }, 'request failed unexpectedly');
    }
    const answer = known !== undefined && known.status < 500 ? known : internalError(known);
    return reply.code(answer.status).type('application/json').send(answer.toBody());
  });
}

function toSynclineError(error: FastifyError): SynclineError | undefined {
  if (isSynclineError(error)) return error;
  if (error.validation !== undefined) return validationError(error);
  const mapped = error.code === undefined ? undefined : fastifyErrorCodes[error.code];
  if (mapped !== undefined) return new SynclineError(mapped, messages[mapped] ?? error.message);
  // Any other 4xx Fastify raises (bad Content-Length, malformed URL…) is a malformed request; its message is
  // Fastify's fixed text, which carries no internals.
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new SynclineError('BAD_REQUEST', error.message, { status });
  }
  return undefined;
}

function validationError(error: FastifyError): SynclineError {
  const part = error.validationContext ?? 'request';
  const problems: ValidationProblem[] = (error.validation ?? []).map((issue) => {
    const extra = (issue.params as { additionalProperty?: unknown }).additionalProperty;
    const path = typeof extra === 'string' ? `${issue.instancePath}/${extra}` : issue.instancePath;
    const allowed = (issue.params as { allowedValues?: unknown[] }).allowedValues;
    const message = `${issue.message ?? 'is invalid'}${Array.isArray(allowed) ? `: ${allowed.join(', ')}` : ''}`;
    return { path: path === '' ? '/' : path, message };
  });
  const summary = problems.map((problem) => `${part}${problem.path} ${problem.message}`).join('; ');
  if (part === 'params' && problems.some((problem) => problem.path === '/id')) {
    return new SynclineError('INVALID_ID', `Invalid id in the path: ${summary}.`, {
      details: { in: part, problems },
    });
  }
  return new SynclineError('VALIDATION_FAILED', `Invalid ${part}: ${summary}.`, {
    details: { in: part, problems },
  });
}

/**
 * Errors Fastify raises before routing (a malformed percent-encoding in the URL, a path segment over
 * `maxParamLength`): they bypass the error handler, so they get the API's error body here. No route is known
 * yet, so no authentication ran; the answer carries nothing from the request.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const answer =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? pathParameterTooLong(request.raw.url ?? '')
      : new SynclineError(
          'BAD_REQUEST',
          error.code === 'FST_ERR_BAD_URL'
            ? 'The request URL is malformed: a percent-encoding (%XX) in it is not valid UTF-8.'
            : 'The request URL is malformed.',
        );
  void reply.code(answer.status).type('application/json').send(answer.toBody());
}

/** A route URL (`/api/v1/persons/:id`, `/docs/*`) as a regular expression over request paths. */
function routePattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) =>
      part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}/?$`);
}

function internalError(known: SynclineError | undefined): SynclineError {
  // A known 5xx (store unavailable…) keeps its code and message, which are written for operators.
  return (
    known ?? new SynclineError('INTERNAL', 'An unexpected error occurred; the server log has the details.')
  );
}
