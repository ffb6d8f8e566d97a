import type { Logger } from '../logging/logger.ts';
import { emulatorFixtures } from './emulator-fixtures.ts';
import { DataverseError, dataverseCodes } from './http/dataverse-error.ts';
import { jsonResponse, type Caller, type EmulatorResponse, type Usage } from './http/emulator-request.ts';
import { AnnotationFilter, parsePrefer } from './http/prefer-header.ts';
import { routeWebApi } from './http/web-api-router.ts';
import { SortCache } from './query/collection-query.ts';
import { seedState, type SeedOptions } from './seed/demo-seed.ts';
import { FieldSecurity } from './security/field-security.ts';
import { Identities } from './security/identities.ts';
import { defaultBulkSettings, EmulatorState, type BulkSettings } from './state/emulator-state.ts';

/** A request as `$batch` parts (and the HTTP adapter) hand it to the core. */
export interface DispatchRequest {
  readonly method: string;
  /** Absolute (`http://host/api/data/v9.2/contacts`) or relative (`/api/data/v9.2/contacts`, `contacts`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** The authenticated caller; when absent the `authorization` header is checked. */
  readonly caller?: Caller;
  /** `<scheme>://<host[:port]>` for links when `url` is relative (default: `http://` + the Host header). */
  readonly origin?: string;
}

export interface DispatchResponse extends EmulatorResponse {
  /** Rows read and written, for the service-protection cost model. */
  readonly usage: Usage;
}

const apiPrefix = '/api/data/v9.2/';

/**
 * The emulator without HTTP: state, identities, field security and the Web API router. `dispatch` runs a
 * request through exactly the handlers HTTP requests use; `transaction` makes a group of dispatches atomic.
 */
export class EmulatorCore {
  readonly state: EmulatorState;
  readonly identities: Identities;
  readonly fls: FieldSecurity;
  readonly sortCache = new SortCache();
  private readonly logger: Logger;

  constructor(options: {
    /** One token per application user (`--token a,b`). */
    syncToken: string | readonly string[];
    adminToken: string;
    logger: Logger;
    seed: SeedOptions;
    bulk?: Partial<BulkSettings>;
    /** `RetrieveTotalRecordCount` snapshot age limit (docs/emulator.md "Record counts"); 0 = live counts. */
    recordCountRefreshSeconds?: number;
  }) {
    this.state = new EmulatorState();
    // Before the seed: it writes the bulk messages' sdkmessagefilters rows from these settings.
    this.state.bulk = { ...defaultBulkSettings, ...options.bulk };
    if (options.recordCountRefreshSeconds !== undefined)
      this.state.recordCounts.refreshSeconds = options.recordCountRefreshSeconds;
    this.identities = new Identities(options.syncToken, options.adminToken);
    this.fls = new FieldSecurity(this.state);
    this.logger = options.logger;
    this.reset(options.seed);
  }

  /** Replaces all data with a fresh seed; delta tokens issued before become expired. */
  reset(seed: SeedOptions): void {
    const before = this.state.currentVersion;
    this.state.clear();
    this.sortCache.clear();
    seedState(this.state, { ...seed, syncUsers: this.identities.syncUsers.length });
    for (const table of this.state.tables.values()) table.expiredThrough = before;
    // The organisation as seeded is what the first `RetrieveTotalRecordCount` snapshot counts.
    this.state.recordCounts.take(this.state.tables);
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.state.transaction(fn);
  }

  async dispatch(request: DispatchRequest): Promise<DispatchResponse> {
    await this.state.whenIdle();
    const usage: Usage = { rowsRead: 0, rowsWritten: 0 };
    return { ...this.execute(request, usage), usage };
  }

  /** Synchronous core of dispatch (callers must have waited for `whenIdle`). */
  execute(request: DispatchRequest, usage: Usage): EmulatorResponse {
    try {
      const headers = lowerCase(request.headers);
      const { origin, path, query } = splitUrl(
        request.url,
        request.origin ?? `http://${headers.host ?? 'localhost'}`,
      );
      const caller = request.caller ?? this.identities.authenticate(headers.authorization);
      if (!caller) return this.unauthorized(origin);
      const prefer = parsePrefer(headers.prefer);
      return routeWebApi(
        { state: this.state, fls: this.fls, sortCache: this.sortCache },
        {
          method: request.method.toUpperCase(),
          path,
          query,
          headers: {
            ...headers,
            'if-none-match': headers['if-none-match'] === 'null' ? undefined : headers['if-none-match'],
          },
          body: request.body,
          baseUrl: `${origin}${apiPrefix}`,
          caller,
          prefer,
          annotations: new AnnotationFilter(prefer.includeAnnotations),
        },
        usage,
      );
    } catch (error) {
      return this.errorResponse(error);
    }
  }

  errorResponse(error: unknown): EmulatorResponse {
    if (error instanceof DataverseError)
      return jsonResponse(error.status, JSON.stringify(error.toBody()), { ...error.headers });
    this.logger.error({ err: error }, 'emulator: unexpected error while handling a request');
    return jsonResponse(
      500,
      JSON.stringify({ error: { code: dataverseCodes.internal, message: 'An unexpected error occurred.' } }),
    );
  }

  /** 401 with the tenant-discovery challenge clients use (reference §9). */
  unauthorized(origin: string): EmulatorResponse {
    const error = new DataverseError(
      401,
      dataverseCodes.unauthorized,
      'The request has no valid bearer token (Authorization: Bearer <token>).',
      {
        'WWW-Authenticate': `Bearer authorization_uri=${origin}/${emulatorFixtures.tenantId}/oauth2/authorize, resource_id=${origin}/`,
      },
    );
    return jsonResponse(401, JSON.stringify(error.toBody()), { ...error.headers });
  }
}

function lowerCase(
  headers: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function splitUrl(url: string, defaultOrigin: string): { origin: string; path: string; query: string } {
  let origin = defaultOrigin;
  let rest = url;
  const absolute = /^(https?:\/\/[^/]+)(\/.*)?$/i.exec(url);
  if (absolute) {
    origin = absolute[1];
    rest = absolute[2] ?? '/';
  }
  if (rest.startsWith(apiPrefix)) rest = rest.slice(apiPrefix.length);
  else if (rest === apiPrefix.slice(0, -1)) rest = '';
  else if (rest.startsWith('/'))
    throw new DataverseError(404, dataverseCodes.odataError, `The URL '${url}' is not under ${apiPrefix}.`);
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new DataverseError(400, dataverseCodes.odataError, 'The URL is not correctly percent-encoded.');
  }
  return { origin, path, query: q < 0 ? '' : rest.slice(q + 1) };
}
