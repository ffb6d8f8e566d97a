import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import type { SynclineProcess } from '../../tests/process/syncline-process.ts';

/**
 * S7's load and its stopwatches, from the outside of the product: marketing users edit persons through the API,
 * CRM users edit contacts through the Web API, each at a steady rate, and two observers note when each edit
 * shows on the other side.
 *
 * - To the CRM: start = the person's `updatedAt` in the PATCH answer (the marketing commit); end = the moment a
 *   change-tracking read of the contacts (as the CRM administrator, its own service-protection budget) was sent
 *   that returned the value — an upper bound, late by at most the time between two reads (≥ 100 ms apart).
 * - From the CRM: start = when the `$batch` carrying the edit was sent (its commit is after that); end = the
 *   person's `updatedAt` once the API returns the value — the commit of the write that carried it.
 */

export interface Target {
  readonly personId: string;
  readonly contactId: string;
}

export interface DirectionSamples {
  /** Milliseconds per carried edit. */
  readonly latencies: number[];
  /** Edits sent that were never seen on the other side before the drain ended. */
  readonly missing: number;
  /** Edits the sending side refused (their latency is not measured). */
  readonly failed: number;
}

export interface LoadOutcome {
  readonly toCrm: DirectionSamples;
  readonly fromCrm: DirectionSamples;
}

export interface LoadOptions {
  readonly product: SynclineProcess;
  readonly crmUrl: string;
  /** Distinguishes this run's values from any other run's. */
  readonly tag: string;
  /** Persons whose title marketing users edit (one edit each). */
  readonly marketing: readonly Target[];
  /** Contacts whose job title CRM users edit (one edit each). */
  readonly crm: readonly Target[];
  /** Edits per second on each side. */
  readonly rate: number;
  /** How long to wait after the last edit for the stragglers. */
  readonly drainMs: number;
}

const admin = emulatorFixtures.defaultAdminToken;
/** CRM edits per `$batch`: at 20 edits/s, four requests a second of the administrator's budget. */
const crmBatchSize = 5;
const observeEveryMs = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function adminGet(url: string, prefer?: string): Promise<any> {
  const response = await fetch(url, {
    headers: {
      authorization: `Bearer ${admin}`,
      accept: 'application/json',
      'odata-version': '4.0',
      ...(prefer === undefined ? {} : { prefer }),
    },
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Follows a change-tracking read to its delta link; calls `onRow` for every row on the way. */
async function readDelta(url: string, onRow: (row: any) => void): Promise<string> {
  let next = url;
  for (;;) {
    const page = await adminGet(next, 'odata.track-changes, odata.maxpagesize=5000');
    for (const row of page.value ?? []) onRow(row);
    if (typeof page['@odata.deltaLink'] === 'string') return page['@odata.deltaLink'];
    if (typeof page['@odata.nextLink'] !== 'string')
      throw new Error('a change-tracking read ended without a delta link');
    next = page['@odata.nextLink'];
  }
}

/** The contacts' delta link now: every later change of a contact shows in a read from it. */
export function contactsDeltaLink(crmUrl: string): Promise<string> {
  return readDelta(`${crmUrl}/api/data/v9.2/contacts?$select=jobtitle`, () => undefined);
}

function batchBody(crmUrl: string, edits: readonly { contactId: string; value: string }[]): string {
  const parts = edits.map(({ contactId, value }) =>
    [
      '--batch_s7',
      'Content-Type: application/http',
      'Content-Transfer-Encoding: binary',
      '',
      `PATCH ${crmUrl}/api/data/v9.2/contacts(${contactId}) HTTP/1.1`,
      'Content-Type: application/json',
      'If-Match: *',
      '',
      JSON.stringify({ jobtitle: value }),
    ].join('\r\n'),
  );
  return [...parts, '--batch_s7--', ''].join('\r\n');
}

async function sendCrmBatch(
  crmUrl: string,
  edits: readonly { contactId: string; value: string }[],
): Promise<number> {
  const response = await fetch(`${crmUrl}/api/data/v9.2/$batch`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${admin}`,
      'content-type': 'multipart/mixed; boundary=batch_s7',
      accept: 'application/json',
      'odata-version': '4.0',
      prefer: 'odata.continue-on-error',
    },
    body: batchBody(crmUrl, edits),
  });
  const text = await response.text();
  if (response.status !== 200) return 0;
  return (text.match(/HTTP\/1\.1 204/g) ?? []).length;
}

/**
 * Runs the load: `rate` edits a second on each side until every target was edited once, then waits up to
 * `drainMs` for the last ones to arrive. Resolves with the latencies the observers measured.
 */
export async function runLatencyLoad(options: LoadOptions): Promise<LoadOutcome> {
  const { product, crmUrl, tag, rate } = options;
  const marketingPattern = new RegExp(`^S7 m ${tag} (\\d+)$`);
  const crmPattern = new RegExp(`^S7 c ${tag} (\\d+)$`);
  const toCrmStart: (number | undefined)[] = [];
  const toCrmEnd: (number | undefined)[] = [];
  const fromCrmStart: (number | undefined)[] = [];
  const fromCrmEnd: (number | undefined)[] = [];
  let failed = { toCrm: 0, fromCrm: 0 };
  const since = new Date(Date.now() - 5000).toISOString();
  let deltaLink = await contactsDeltaLink(crmUrl);
  let observing = true;

  const done = () =>
    toCrmEnd.filter((end) => end !== undefined).length + failed.toCrm >= options.marketing.length &&
    fromCrmEnd.filter((end) => end !== undefined).length + failed.fromCrm >= options.crm.length;

  const observeCrm = async () => {
    while (observing) {
      const sent = Date.now();
      deltaLink = await readDelta(deltaLink, (row) => {
        const match = typeof row.jobtitle === 'string' ? marketingPattern.exec(row.jobtitle) : null;
        if (match) toCrmEnd[Number(match[1])] ??= sent;
      });
      await sleep(sent + observeEveryMs - Date.now());
    }
  };
  const observePersons = async () => {
    while (observing) {
      const sent = Date.now();
      let cursor: string | undefined;
      do {
        const query = `updatedSince=${encodeURIComponent(since)}&limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page = await product.api('GET', `/api/v1/persons?${query}`);
        if (page.status !== 200) throw new Error(`listing persons: ${page.status} ${page.text}`);
        for (const person of page.body.items) {
          const match = typeof person.title === 'string' ? crmPattern.exec(person.title) : null;
          if (match) fromCrmEnd[Number(match[1])] ??= Date.parse(person.updatedAt);
        }
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor !== undefined);
      await sleep(sent + observeEveryMs - Date.now());
    }
  };

  const marketingEdits = async () => {
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    for (const [index, target] of options.marketing.entries()) {
      await sleep(started + (index * 1000) / rate - Date.now());
      inFlight.push(
        product
          .api('PATCH', `/api/v1/persons/${target.personId}`, { title: `S7 m ${tag} ${index}` })
          .then((answer) => {
            if (answer.status === 200) toCrmStart[index] = Date.parse(answer.body.updatedAt);
            else failed = { ...failed, toCrm: failed.toCrm + 1 };
          }),
      );
    }
    await Promise.all(inFlight);
  };
  const crmEdits = async () => {
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    for (let first = 0; first < options.crm.length; first += crmBatchSize) {
      await sleep(started + (first * 1000) / rate - Date.now());
      const edits = options.crm
        .slice(first, first + crmBatchSize)
        .map((target, offset) => ({ contactId: target.contactId, value: `S7 c ${tag} ${first + offset}` }));
      const sent = Date.now();
      inFlight.push(
        sendCrmBatch(crmUrl, edits).then((accepted) => {
          if (accepted === edits.length)
            for (let i = 0; i < edits.length; i += 1) fromCrmStart[first + i] = sent;
          else failed = { ...failed, fromCrm: failed.fromCrm + edits.length };
        }),
      );
    }
    await Promise.all(inFlight);
  };

  const observers = Promise.all([observeCrm(), observePersons()]);
  try {
    await Promise.all([marketingEdits(), crmEdits()]);
    const deadline = Date.now() + options.drainMs;
    while (!done() && Date.now() < deadline) await sleep(200);
  } finally {
    observing = false;
    await observers;
  }
  return {
    toCrm: samples(toCrmStart, toCrmEnd, options.marketing.length, failed.toCrm),
    fromCrm: samples(fromCrmStart, fromCrmEnd, options.crm.length, failed.fromCrm),
  };
}

function samples(
  starts: readonly (number | undefined)[],
  ends: readonly (number | undefined)[],
  sent: number,
  failed: number,
): DirectionSamples {
  const latencies: number[] = [];
  for (let index = 0; index < sent; index += 1) {
    const start = starts[index];
    const end = ends[index];
    if (start !== undefined && end !== undefined) latencies.push(Math.max(0, end - start));
  }
  return { latencies, missing: sent - failed - latencies.length, failed };
}

/** Nearest-rank percentile of `values` (p in 0–1); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}
