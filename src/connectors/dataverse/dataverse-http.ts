import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { Logger } from '../../logging/logger.ts';
import { CrmError, isCrmError } from '../crm-error.ts';
import { ConcurrencyLimiter, throttleKindOf } from './concurrency-limiter.ts';
import type { TokenProvider } from './dataverse-auth.ts';
import { classifyFailure, mayHaveRun, type DataverseFailure } from './error-classifier.ts';
import { sanitizeCrmText } from './record-mapper.ts';
import { defaultRetryPolicy, parseRetryAfter, RetryBudget, type RetryPolicyOptions } from './retry-policy.ts';

/**
 * The HTTP layer of the connector, on undici (see docs/architecture.md "Connector" for why not
 * `dynamics-web-api`): Dataverse's standard headers, bearer auth with one token refresh on 401, an adaptive
 * concurrency limit, and retries of transient failures with back-off that honours `Retry-After` — all bounded.
 * Non-2xx answers that are not retried become a classified `CrmError`.
 */
export interface DataverseHttpOptions {
  /** The organisation URL, e.g. `https://contoso.crm.dynamics.com`. */
  readonly url: string;
  readonly apiVersion?: string;
  readonly tokens: TokenProvider;
  readonly logger: Logger;
  readonly limiter?: ConcurrencyLimiter;
  readonly retry?: RetryPolicyOptions;
  /** Time-out for response headers and between body chunks (default 120 s). */
  readonly timeoutMs?: number;
  readonly dispatcher?: Dispatcher;
  readonly random?: () => number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the data URL (`contacts?$select=…`), or an absolute link the server gave us. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Objects are sent as JSON; strings as they are (set the Content-Type header). */
  readonly body?: unknown;
  /**
   * Whether resending after an ambiguous failure (time-out, reset, 5xx) is harmless. Defaults to true for GET.
   * Non-idempotent requests are retried only when they certainly did not run (429, a connection never made:
   * `mayHaveRun` in error-classifier.ts).
   */
  readonly idempotent?: boolean;
  /** Error statuses to return as a response instead of throwing (never retried). */
  readonly acceptStatus?: readonly number[];
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

type AttemptResult =
  | { readonly response: HttpResponse }
  | { readonly failure: DataverseFailure; readonly retryAfterMs: number | undefined };

export class DataverseHttp {
  /** `<org>/api/data/v9.2/` */
  readonly dataUrl: string;
  /** `/api/data/v9.2/`: the path prefix `$batch` parts use. */
  readonly dataPath: string;
  readonly limiter: ConcurrencyLimiter;
  readonly #tokens: TokenProvider;
  readonly #log: Logger;
  readonly #retry: RetryPolicyOptions;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #random: () => number;
  #requests = 0;
  #retries = 0;
  #throttled = 0;

  constructor(options: DataverseHttpOptions) {
    const base = options.url.replace(/\/+$/, '');
    this.dataPath = `${new URL(base).pathname.replace(/\/+$/, '')}/api/data/v${options.apiVersion ?? '9.2'}/`;
    this.dataUrl = `${new URL(base).origin}${this.dataPath}`;
    this.#tokens = options.tokens;
    this.#log = options.logger;
    this.limiter = options.limiter ?? new ConcurrencyLimiter();
    this.#retry = options.retry ?? defaultRetryPolicy;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#ownsDispatcher = options.dispatcher === undefined;
    // Connections above the 52-request ceiling would only queue at the server.
    this.#dispatcher = options.dispatcher ?? new Agent({ connections: 64, keepAliveTimeout: 30_000 });
    this.#random = options.random ?? Math.random;
  }

  stats() {
    return {
      requests: this.#requests,
      retries: this.#retries,
      throttled: this.#throttled,
      concurrencyLimit: Math.floor(this.limiter.limit),
      inFlight: this.limiter.inFlight,
    };
  }

  async close(): Promise<void> {
    this.limiter.close(new Error('The Dataverse connector was closed.'));
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** Sends with retries; resolves for 2xx/304, throws a classified `CrmError` otherwise. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = this.#resolve(req.path);
    const idempotent = req.idempotent ?? req.method === 'GET';
    const budget = new RetryBudget(this.#retry, this.#random);
    let refreshedToken = false;
    // Whether any attempt may have been executed: a write then may have landed even if a later attempt was
    // refused outright (a lost answer, then a 429 until the budget ran out).
    let mayHaveRunOnce = false;
    for (let attempt = 0; ; attempt += 1) {
      const permit = await this.limiter.acquire(req.signal, { resend: attempt > 0 });
      let result: AttemptResult;
      try {
        result = await this.#attempt(url, req);
      } catch (error) {
        this.limiter.release(permit, 'failure');
        throw error;
      }
      if ('response' in result) {
        this.limiter.release(permit, 'success');
        return result.response;
      }
      const { failure, retryAfterMs } = result;
      const throttled = failure.httpStatus === 429;
      this.limiter.release(permit, throttled ? 'throttled' : 'failure', throttleKindOf(failure.crmCode));
      if (failure.httpStatus === 401 && !refreshedToken && this.#tokens.invalidate()) {
        refreshedToken = true;
        continue;
      }
      if (throttled) {
        this.#throttled += 1;
        // Dataverse extends the penalty for clients that keep sending: hold every request, not just this one.
        if (retryAfterMs !== undefined) this.limiter.pause(retryAfterMs);
      }
      const classification = classifyFailure(failure);
      const mayHaveRunNow = mayHaveRun(failure);
      mayHaveRunOnce ||= mayHaveRunNow;
      const delay =
        classification.errorClass === 'transient' && (idempotent || !mayHaveRunNow)
          ? budget.next({ throttled, retryAfterMs })
          : undefined;
      if (delay === undefined) {
        throw new CrmError(classification, describe(failure, req), {
          crmCode: failure.crmCode,
          httpStatus: failure.httpStatus,
          mayHaveRun: mayHaveRunOnce,
        });
      }
      this.#retries += 1;
      this.#log.debug(
        { method: req.method, status: failure.httpStatus, reason: classification.reason, delayMs: delay },
        'retrying Dataverse request',
      );
      // A throttled request needs no sleep of its own: the limiter holds every request until its Retry-After has
      // passed (the pause above) and then gives resends the first slots. Sleeping as well (Retry-After plus
      // jitter) let the requests queued meanwhile take every slot first, and the retried one — often the last
      // of a push round — came back up to a second later to wait behind them (S4, docs/benchmarks.md).
      if (throttled && retryAfterMs !== undefined) continue;
      await sleep(delay, undefined, { signal: req.signal });
    }
  }

  /** One attempt: the response, or what went wrong. */
  async #attempt(url: string, req: HttpRequest): Promise<AttemptResult> {
    this.#requests += 1;
    let token: string;
    try {
      token = await this.#tokens.getToken();
    } catch (error) {
      if (isCrmError(error)) throw error;
      throw new CrmError({ errorClass: 'pass', reason: 'auth' }, 'Could not obtain a Dataverse token.', {
        cause: error,
      });
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'odata-maxversion': '4.0',
      'odata-version': '4.0',
      authorization: `Bearer ${token}`,
    };
    let body: string | undefined;
    if (typeof req.body === 'string') body = req.body;
    else if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
    let statusCode: number;
    let responseHeaders: Record<string, string>;
    let text: string;
    try {
      const response = await request(url, {
        method: req.method,
        headers,
        body,
        dispatcher: this.#dispatcher,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: req.signal,
      });
      statusCode = response.statusCode;
      responseHeaders = flattenHeaders(response.headers);
      text = await response.body.text();
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason;
      return {
        failure: { networkCode: networkCodeOf(error), message: messageOf(error) },
        retryAfterMs: undefined,
      };
    }
    const hint = Number(responseHeaders['x-ms-dop-hint']);
    if (hint > 0) this.limiter.observeHint(hint);
    if (
      (statusCode >= 200 && statusCode < 300) ||
      statusCode === 304 ||
      req.acceptStatus?.includes(statusCode)
    ) {
      return { response: { status: statusCode, headers: responseHeaders, text } };
    }
    return {
      failure: { httpStatus: statusCode, ...parseErrorBody(text) },
      retryAfterMs: parseRetryAfter(responseHeaders['retry-after'], Date.now()),
    };
  }

  #resolve(path: string): string {
    if (!/^https?:\/\//i.test(path)) return this.dataUrl + path.replace(/^\/+/, '');
    // The bearer token goes to the configured organisation only.
    if (new URL(path).origin !== new URL(this.dataUrl).origin) {
      throw new CrmError(
        { errorClass: 'pass', reason: 'protocol' },
        'Refusing to send a request to another host.',
      );
    }
    return path;
  }
}

/**
 * Dataverse's `{"error":{"code":"0x…","message":"…"}}`; anything else is kept as text (truncated). The text is
 * sanitised like record values (record-mapper.ts): a plug-in's message ends up in the sync errors and the
 * person's activity log (B6.1), and a NUL or a lone surrogate in it would fail that write on PostgreSQL.
 */
export function parseErrorBody(text: string): { crmCode?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (parsed.error && typeof parsed.error === 'object') {
      return {
        crmCode: typeof parsed.error.code === 'string' ? sanitizeCrmText(parsed.error.code) : undefined,
        message: typeof parsed.error.message === 'string' ? sanitizeCrmText(parsed.error.message) : undefined,
      };
    }
  } catch {
    // not JSON: fall through
  }
  return text.trim() === '' ? {} : { message: sanitizeCrmText(text.trim().slice(0, 500)) };
}

function describe(failure: DataverseFailure, req: HttpRequest): string {
  const what = `${req.method} ${req.path.replace(/^https?:\/\/[^/]+/i, '').split('?')[0]}`;
  if (failure.httpStatus === undefined) {
    return `Dataverse could not be reached (${failure.networkCode ?? 'network error'}) for ${what}: ${failure.message ?? ''}`.trim();
  }
  if (failure.httpStatus === 401) return `Dataverse refused the credentials (401) for ${what}.`;
  return failure.message ?? `Dataverse answered ${failure.httpStatus} for ${what}.`;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function networkCodeOf(error: unknown): string | undefined {
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code ?? e?.name;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
