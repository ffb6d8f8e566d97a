import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { Logger } from '../../logging/logger.ts';
import { CrmError, isCrmError } from '../crm-error.ts';
import { ConcurrencyLimiter, throttleKindOf, type ThrottleKind } from './concurrency-limiter.ts';
import type { TokenProvider } from './dataverse-auth.ts';
import { classifyFailure, mayHaveRun, type DataverseFailure } from './error-classifier.ts';
import { sanitizeCrmText } from './record-mapper.ts';
import { whenWritten } from './request-written.ts';
import { defaultRetryPolicy, parseRetryAfter, RetryBudget, type RetryPolicyOptions } from './retry-policy.ts';

/**
 * The HTTP layer of the connector, on undici (see docs/architecture.md "Connector" for why not
 * `dynamics-web-api`): Dataverse's standard headers, bearer auth with one token refresh on 401, an adaptive
 * concurrency limit, and retries of transient failures with back-off that honours `Retry-After` — all bounded.
 * Non-2xx answers that are not retried become a classified `CrmError`.
 *
 * Several application users: one token source per identity and one limiter lane each (Dataverse's limits are
 * per user); every attempt runs as the identity its permit names — a request throttled on one identity is sent
 * again on whichever has room — unless the request is pinned to one (`identity`).
 */
export interface DataverseHttpOptions {
  /** The organisation URL, e.g. `https://contoso.crm.dynamics.com`. */
  readonly url: string;
  readonly apiVersion?: string;
  /** One token source per application user, in the configured order (index = identity). */
  readonly tokens: readonly TokenProvider[];
  readonly logger: Logger;
  /** Must have one lane per token source (default: a limiter with a lane each). */
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
  /** Run as this identity only (its WhoAmI, its privileges); by default whichever has the most room. */
  readonly identity?: number;
  /** Called when an attempt's headers have been written to a socket (`request-written.ts`), maybe never. */
  readonly onWritten?: () => void;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The identity that sent it and when its attempt started: `partsThrottled` charges 429 parts to it. */
  readonly identity: number;
  readonly startedAt: number;
}

/** Counters of one identity (application user). */
export interface IdentityCounters {
  requests: number;
  retries: number;
  throttled: number;
}

type AttemptResult =
  | { readonly response: Omit<HttpResponse, 'identity' | 'startedAt'> }
  | { readonly failure: DataverseFailure; readonly retryAfterMs: number | undefined };

export class DataverseHttp {
  /** `<org>/api/data/v9.2/` */
  readonly dataUrl: string;
  /** `/api/data/v9.2/`: the path prefix `$batch` parts use. */
  readonly dataPath: string;
  readonly limiter: ConcurrencyLimiter;
  readonly #tokens: readonly TokenProvider[];
  readonly #log: Logger;
  readonly #retry: RetryPolicyOptions;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #random: () => number;
  readonly #counters: IdentityCounters[];

  constructor(options: DataverseHttpOptions) {
    const base = options.url.replace(/\/+$/, '');
    this.dataPath = `${new URL(base).pathname.replace(/\/+$/, '')}/api/data/v${options.apiVersion ?? '9.2'}/`;
    this.dataUrl = `${new URL(base).origin}${this.dataPath}`;
    if (options.tokens.length === 0) throw new Error('DataverseHttp needs at least one token source.');
    this.#tokens = options.tokens;
    this.#counters = options.tokens.map(() => ({ requests: 0, retries: 0, throttled: 0 }));
    this.#log = options.logger;
    this.limiter = options.limiter ?? new ConcurrencyLimiter({ lanes: options.tokens.length });
    if (this.limiter.lanes !== options.tokens.length)
      throw new Error('The concurrency limiter needs one lane per token source.');
    this.#retry = options.retry ?? defaultRetryPolicy;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#ownsDispatcher = options.dispatcher === undefined;
    // Connections above the 52-request ceiling would only queue at the server.
    this.#dispatcher = options.dispatcher ?? new Agent({ connections: 64, keepAliveTimeout: 30_000 });
    this.#random = options.random ?? Math.random;
  }

  /** How many identities (application users) requests are spread over. */
  get identities(): number {
    return this.#tokens.length;
  }

  /** Totals over every identity, and each identity's own counters and limiter lane. */
  stats() {
    const identities = this.#counters.map((counters, index) => {
      const lane = this.limiter.lane(index);
      return {
        index,
        ...counters,
        concurrencyLimit: Math.floor(lane.limit),
        inFlight: lane.inFlight,
        retryAfterUntil: lane.pausedUntil === 0 ? null : new Date(lane.pausedUntil).toISOString(),
      };
    });
    const total = (key: keyof IdentityCounters) => this.#counters.reduce((sum, c) => sum + c[key], 0);
    return {
      requests: total('requests'),
      retries: total('retries'),
      throttled: total('throttled'),
      concurrencyLimit: identities.reduce((sum, identity) => sum + identity.concurrencyLimit, 0),
      inFlight: this.limiter.inFlight,
      identities,
    };
  }

  /**
   * 429s inside a `$batch` that was itself answered: the identity that sent it is throttled like for a 429 of
   * the whole request (its limit for a concurrency refusal, its Retry-After pause).
   */
  partsThrottled(response: HttpResponse, kind: ThrottleKind, retryAfterMs: number | undefined): void {
    this.limiter.throttled({ startedAt: response.startedAt, lane: response.identity }, kind);
    if (retryAfterMs) this.limiter.pause(retryAfterMs, response.identity);
  }

  /** Whether an identity other than `identity` is out of any Retry-After pause (a throttled request may go there). */
  otherIdentityFree(identity: number): boolean {
    for (let i = 0; i < this.#tokens.length; i += 1) {
      if (i !== identity && this.limiter.lane(i).pausedUntil === 0) return true;
    }
    return false;
  }

  /** `application user #2` when there are several, so an error says which identity failed; else ''. */
  identityLabel(identity: number): string {
    return this.#tokens.length > 1 ? `application user #${identity + 1}` : '';
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
    // Identities whose token was already renewed once after a 401 in this call.
    const refreshed = new Set<number>();
    // Whether any attempt may have been executed: a write then may have landed even if a later attempt was
    // refused outright (a lost answer, then a 429 until the budget ran out).
    let mayHaveRunOnce = false;
    for (let attempt = 0; ; attempt += 1) {
      const permit = await this.limiter.acquire(req.signal, { resend: attempt > 0, lane: req.identity });
      const identity = permit.lane;
      let result: AttemptResult;
      try {
        result = await this.#attempt(url, req, identity);
      } catch (error) {
        this.limiter.release(permit, 'failure');
        throw error;
      }
      if ('response' in result) {
        this.limiter.release(permit, 'success');
        return { ...result.response, identity, startedAt: permit.startedAt };
      }
      const { failure, retryAfterMs } = result;
      const throttled = failure.httpStatus === 429;
      this.limiter.release(permit, throttled ? 'throttled' : 'failure', throttleKindOf(failure.crmCode));
      if (failure.httpStatus === 401 && !refreshed.has(identity) && this.#tokens[identity].invalidate()) {
        refreshed.add(identity);
        continue;
      }
      if (throttled) {
        this.#counters[identity].throttled += 1;
        // Dataverse extends the penalty for clients that keep sending: hold every request of this identity, not
        // just this one (the others have budgets of their own and go on).
        if (retryAfterMs !== undefined) this.limiter.pause(retryAfterMs, identity);
      }
      const classification = classifyFailure(failure);
      const mayHaveRunNow = mayHaveRun(failure);
      mayHaveRunOnce ||= mayHaveRunNow;
      // Throttled with another identity free: sent again at once as that one, so nothing is waited or charged
      // (this identity is paused now, so the resends end once every identity is held).
      const elsewhere =
        throttled &&
        retryAfterMs !== undefined &&
        req.identity === undefined &&
        this.otherIdentityFree(identity);
      const delay =
        classification.errorClass === 'transient' && (idempotent || !mayHaveRunNow)
          ? elsewhere
            ? 0
            : budget.next({ throttled, retryAfterMs })
          : undefined;
      if (delay === undefined) {
        throw new CrmError(classification, describe(failure, req, this.identityLabel(identity)), {
          crmCode: failure.crmCode,
          httpStatus: failure.httpStatus,
          mayHaveRun: mayHaveRunOnce,
        });
      }
      this.#counters[identity].retries += 1;
      this.#log.debug(
        {
          method: req.method,
          status: failure.httpStatus,
          reason: classification.reason,
          delayMs: delay,
          identity: identity + 1,
        },
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
  async #attempt(url: string, req: HttpRequest, identity: number): Promise<AttemptResult> {
    this.#counters[identity].requests += 1;
    let token: string;
    try {
      token = await this.#tokens[identity].getToken();
    } catch (error) {
      if (isCrmError(error)) throw error;
      const label = this.identityLabel(identity);
      throw new CrmError(
        { errorClass: 'pass', reason: 'auth' },
        `Could not obtain a Dataverse token${label ? ` for ${label}` : ''}.`,
        { cause: error },
      );
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
      const response = await whenWritten(req.onWritten, () =>
        request(url, {
          method: req.method,
          headers,
          body,
          dispatcher: this.#dispatcher,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
          signal: req.signal,
        }),
      );
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
    if (hint > 0) this.limiter.observeHint(hint, identity);
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

function describe(failure: DataverseFailure, req: HttpRequest, identity: string): string {
  const what = `${req.method} ${req.path.replace(/^https?:\/\/[^/]+/i, '').split('?')[0]}`;
  if (failure.httpStatus === undefined) {
    return `Dataverse could not be reached (${failure.networkCode ?? 'network error'}) for ${what}: ${failure.message ?? ''}`.trim();
  }
  if (failure.httpStatus === 401)
    return `Dataverse refused the credentials${identity ? ` of ${identity}` : ''} (401) for ${what}.`;
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
