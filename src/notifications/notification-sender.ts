import type { NotifyConfig } from '../config/config.ts';
import type { NotificationRecord } from '../store/run-log-store.ts';
import { notificationPayload } from './notification-payload.ts';
import { notificationSignature } from './notification-signature.ts';

/** What one POST came to; `error` never holds the URL's path or query, nor the secret. */
export type SendResult =
  | { readonly outcome: 'delivered' }
  /** Worth another attempt (5xx, 408, 429, a network error, a timeout); `retryAfterMs` from `Retry-After`. */
  | { readonly outcome: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  /** The receiver refused it for good (another 4xx, a redirect): sending it again would change nothing. */
  | { readonly outcome: 'refused'; readonly error: string };

/** How much of a refusal's body is kept with the delivery (enough for Slack's `invalid_payload`). */
const bodySnippetLength = 200;

/**
 * POSTs one notification to `SYNCLINE_NOTIFY_URL` in the configured format, signed when a secret is set, and
 * classifies the answer. Never throws. `X-Syncline-Notification-Id` lets a receiver drop a repeat (delivery is at
 * least once: a process that dies between the POST and recording it leaves the notification to be sent again).
 */
export async function sendNotification(
  notify: NotifyConfig,
  notification: NotificationRecord,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<SendResult> {
  const body = JSON.stringify(notificationPayload(notify.format, notification));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Syncline',
    'x-syncline-notification-id': notification.id,
  };
  if (notify.secret !== undefined) {
    headers['x-syncline-signature'] = notificationSignature(
      notify.secret,
      body,
      Math.floor(Date.now() / 1000),
    );
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  let response: Response;
  let text: string;
  try {
    // A redirect is not followed: the configured URL is the receiver, and a POST must not wander elsewhere.
    response = await fetch(notify.url, { method: 'POST', headers, body, redirect: 'manual', signal });
    text = await readSnippet(response);
  } catch (error) {
    if (options.signal?.aborted === true) return { outcome: 'retry', error: 'interrupted: Syncline stopped' };
    if (timeout.aborted) return { outcome: 'retry', error: `no answer within ${options.timeoutMs / 1000} s` };
    return { outcome: 'retry', error: `could not reach the receiver (${networkCode(error)})` };
  }
  const snippet = redact(text, notify);
  const what = `HTTP ${response.status} from the receiver${snippet === '' ? '' : `: ${snippet}`}`;
  const status = response.status;
  if (status >= 200 && status < 300) {
    // Teams connectors answer a throttled POST with 200 and this text in the body (Microsoft's docs).
    if (notify.format === 'teams' && text.includes('HTTP error 429'))
      return { outcome: 'retry', error: what };
    return { outcome: 'delivered' };
  }
  if (status >= 500 || status === 408 || status === 425 || status === 429) {
    const retryAfterMs = retryAfter(response.headers.get('retry-after'));
    return { outcome: 'retry', error: what, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { outcome: 'refused', error: what };
}

/** The start of the body, on one line; the rest is not read. */
async function readSnippet(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 4096) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length <= bodySnippetLength ? text : `${text.slice(0, bodySnippetLength)}…`;
}

/**
 * A receiver's error page may quote the request (`Cannot POST /services/T…/B…/x…`): the path and query of a
 * Slack or Teams URL are its credential, so they, and the secret, are cut out of anything kept or logged.
 */
function redact(text: string, notify: NotifyConfig): string {
  const url = new URL(notify.url);
  const secrets = [url.href, `${url.pathname}${url.search}`, url.pathname, url.search, notify.secret]
    .filter((value): value is string => value !== undefined && value.length >= 4 && value !== '/')
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of secrets) result = result.replaceAll(secret, '[redacted]');
  return result;
}

/** The system error code under fetch's "fetch failed" (ECONNREFUSED, ENOTFOUND…), never its URL. */
function networkCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return 'network error';
}

/** `Retry-After` in seconds or as an HTTP date. */
function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
