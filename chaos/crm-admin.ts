import { setTimeout as sleep } from 'node:timers/promises';

/** The emulator's System Administrator token (interfaces.md §7): a person working in the CRM. */
export const adminToken = 'emulator-admin-token';

/** What the CRM answered to one admin request, and when the harness sent it and heard back. */
export interface CrmAnswer {
  readonly status: number;
  readonly json: any;
  readonly headers: Headers;
  /**
   * The connection was dropped after the request was sent. The emulator drops only after committing
   * (drop-after-commit), so a dropped write stands; its answer is unknown.
   */
  readonly dropped: boolean;
  readonly sentAt: number;
  readonly answeredAt: number;
}

/** Faults the harness's own CRM requests met (the emulator applies faults and limits to every user). */
export interface AdminFaultCounts {
  throttled: number;
  http5xx: number;
  dropped: number;
}

/**
 * The CRM administrator through the plain Web API, tolerant of the faults the harness injects: a 429 waits
 * `Retry-After`, an injected 5xx (nothing executed) is retried, a dropped read is retried; a dropped write is
 * reported as such (it committed) and not retried.
 */
export class CrmAdmin {
  readonly faults: AdminFaultCounts = { throttled: 0, http5xx: 0, dropped: 0 };
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<CrmAnswer> {
    const target = `${this.#url}${path.startsWith('/') ? '' : '/api/data/v9.2/'}${path}`;
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 200)
        throw new Error(`the CRM did not answer ${method} ${path} after ${attempt} attempts`);
      const sentAt = Date.now();
      let response: Response;
      let text: string;
      try {
        response = await fetch(target, {
          method,
          headers: {
            authorization: `Bearer ${adminToken}`,
            accept: 'application/json',
            'odata-version': '4.0',
            prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        text = await response.text();
      } catch (error) {
        this.faults.dropped += 1;
        if (method === 'GET') {
          await sleep(50);
          continue;
        }
        if (!isConnectionLoss(error)) throw error;
        return {
          status: 0,
          json: undefined,
          headers: new Headers(),
          dropped: true,
          sentAt,
          answeredAt: Date.now(),
        };
      }
      if (response.status === 429) {
        this.faults.throttled += 1;
        const retryAfter = Number(response.headers.get('retry-after') ?? '1');
        await sleep(Math.min(5_000, Math.max(100, retryAfter * 1000)));
        continue;
      }
      if (response.status >= 500) {
        this.faults.http5xx += 1;
        await sleep(50);
        continue;
      }
      return {
        status: response.status,
        json: text === '' ? undefined : JSON.parse(text),
        headers: response.headers,
        dropped: false,
        sentAt,
        answeredAt: Date.now(),
      };
    }
  }

  /** The control API (`/_emulator/…`), which faults do not touch. */
  async control(method: string, action: string, body?: unknown): Promise<any> {
    const answer = await this.request(method, `/_emulator/${action}`, body);
    if (answer.status >= 300)
      throw new Error(`${method} /_emulator/${action}: ${answer.status} ${JSON.stringify(answer.json)}`);
    return answer.json;
  }
}

function isConnectionLoss(error: unknown): boolean {
  const text = String(error) + String((error as { cause?: unknown })?.cause ?? '');
  return /fetch failed|socket|ECONNRESET|other side closed|terminated/i.test(text);
}

/** Entity set names of the entities the harness writes as the administrator. */
export const entitySets = { lead: 'leads', contact: 'contacts' } as const;

export type PersonEntity = keyof typeof entitySets;
