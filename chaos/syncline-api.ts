import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiAnswer {
  readonly status: number;
  readonly json: any;
  readonly sentAt: number;
  readonly answeredAt: number;
}

/**
 * Syncline's HTTP API (interfaces.md §4) as a black box. The base URL is asked for on every attempt: the
 * harness kills and restarts the binary, which then listens on another port; a refused connection is retried
 * until the new process listens. The harness runs its steps one after the other and never kills the binary
 * while one of its own requests is in flight, so a request that got an answer is the whole truth about it.
 */
export class SynclineApi {
  readonly #baseUrl: () => string;
  readonly #apiKey: string;

  constructor(baseUrl: () => string, apiKey: string) {
    this.#baseUrl = baseUrl;
    this.#apiKey = apiKey;
  }

  async request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    for (let attempt = 0; ; attempt += 1) {
      const sentAt = Date.now();
      try {
        const response = await fetch(`${this.#baseUrl()}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.#apiKey}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await response.text();
        return {
          status: response.status,
          json: text === '' ? undefined : JSON.parse(text),
          sentAt,
          answeredAt: Date.now(),
        };
      } catch (error) {
        if (attempt > 300 || !/ECONNREFUSED|fetch failed/.test(String(error) + String((error as any)?.cause)))
          throw error;
        await sleep(100);
      }
    }
  }

  /** A request that must succeed (2xx); anything else throws with the answer. */
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const answer = await this.request(method, path, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    return answer.json;
  }

  /** Every item of a paged list (`{items, nextCursor}`). */
  async all(path: string): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page: { items: any[]; nextCursor: string | null } = await this.ok(
        'GET',
        `${path}${separator}limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  }
}
