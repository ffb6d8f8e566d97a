import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { crmAdmin, type CrmResponse } from '../../tests/engine/sync-world.ts';
import type { CostModel } from './cost-model.ts';
import { processCpuMs } from './process-cpu.ts';

/** Counters of `GET /_emulator/stats`. */
export interface Served {
  readonly requests: number;
  readonly throttled: number;
}

/** The harness's hand on the emulator: its control API and a person editing the CRM. */
export class CrmControl {
  readonly url: string;
  readonly #crm: ReturnType<typeof crmAdmin>;
  readonly #pid: number | undefined;

  /** `pid`: the emulator's process, whose CPU time `cpuMs` reads. */
  constructor(url: string, pid?: number) {
    this.url = url;
    this.#crm = crmAdmin(url);
    this.#pid = pid;
  }

  /** CPU time (user + system, ms) the emulator process has used so far; undefined off Linux. */
  cpuMs(): Promise<number | undefined> {
    return processCpuMs(this.#pid);
  }

  async reset(contacts: number): Promise<void> {
    expectOk(await this.#crm('POST', '/_emulator/reset', { seed: 'demo', contacts }), 'emulator reset');
  }

  /** Turns the cost model on (limits and response latency), or everything off. */
  async useModel(model: CostModel | undefined): Promise<void> {
    expectOk(await this.#crm('PUT', '/_emulator/limits', model?.limits ?? {}), 'setting limits');
    expectOk(await this.#crm('PUT', '/_emulator/faults', model?.faults ?? {}), 'setting faults');
  }

  /**
   * How the organisation treats UpdateMultiple's per-target ETags (`PUT /_emulator/bulk`, docs/emulator.md): with
   * `ignored` the engine's write-path probe cannot prove the bulk path and it pushes through `$batch` (B4.5). A
   * reset keeps the setting.
   */
  async bulkEtags(etags: 'ignored' | 'honoured'): Promise<void> {
    expectOk(await this.#crm('PUT', '/_emulator/bulk', { etags }), 'setting the bulk switches');
  }

  /** Requests the emulator has served so far (all callers). */
  async requestsServed(): Promise<number> {
    return (await this.served()).requests;
  }

  /** Requests served and 429s answered so far (all callers): read before and after a phase, then subtract. */
  async served(): Promise<Served> {
    const response = await this.#crm('GET', '/_emulator/stats');
    expectOk(response, 'reading emulator stats');
    return { requests: response.json.requests as number, throttled: response.json.throttled as number };
  }

  /** Requests admitted and 429s answered per systemuser so far (several application users, S9). */
  async servedPerUser(): Promise<{ admitted: Record<string, number>; throttled: Record<string, number> }> {
    const response = await this.#crm('GET', '/_emulator/stats');
    expectOk(response, 'reading emulator stats');
    const perLimit = response.json.throttledPerUser as Record<string, Record<string, number>>;
    const throttled = Object.fromEntries(
      Object.entries(perLimit).map(([user, counts]) => [
        user,
        Object.values(counts).reduce((sum, n) => sum + n, 0),
      ]),
    );
    return { admitted: response.json.admittedPerUser as Record<string, number>, throttled };
  }

  /** Ids of the first `count` contacts (≤ 5,000: one page). */
  async contactIds(count: number): Promise<string[]> {
    const response = await this.#crm('GET', `contacts?$select=contactid&$top=${count}`);
    expectOk(response, 'listing contacts');
    return (response.json.value as { contactid: string }[]).map((row) => row.contactid);
  }

  /** A CRM user changes the job title of each contact (8 at a time; the limits are off meanwhile). */
  async editContacts(ids: readonly string[], tag: string): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length) {
          const index = next++;
          const response = await this.#crm('PATCH', `contacts(${ids[index]})`, {
            jobtitle: `${tag} ${index}`,
          });
          expectOk(response, `updating contact ${ids[index]}`);
        }
      }),
    );
  }
}

/**
 * The naive integration S4 compares with: one `PATCH` per record, one at a time, as the sync user, honouring
 * `Retry-After`. Stops after `budgetMs`; returns how many records it updated and how long that took.
 */
export async function naivePatchLoop(
  url: string,
  ids: readonly string[],
  budgetMs: number,
): Promise<{ updated: number; wallMs: number }> {
  const started = performance.now();
  let updated = 0;
  while (updated < ids.length && performance.now() - started < budgetMs) {
    const response = await fetch(`${url}/api/data/v9.2/contacts(${ids[updated]})`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${emulatorFixtures.defaultSyncToken}`,
        'content-type': 'application/json',
        'if-match': '*',
        'odata-version': '4.0',
      },
      body: JSON.stringify({ jobtitle: `naive ${updated}` }),
    });
    await response.arrayBuffer();
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after') ?? '1');
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    if (response.status >= 300) throw new Error(`naive PATCH answered ${response.status}`);
    updated += 1;
  }
  return { updated, wallMs: performance.now() - started };
}

function expectOk(response: CrmResponse, what: string): void {
  if (response.status >= 300) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.json)}`);
}
