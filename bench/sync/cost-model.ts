/**
 * The Dataverse cost model S3 and S4 run under, and its throughput ceiling (docs/emulator-limits.md).
 *
 * Limits: Dataverse's published service protection limits per user (performance-anchors §2.1) — 6,000 requests
 * and 1,200 s of execution time per 300 s, 52 concurrent requests — with the window shortened to 30 s and the
 * two per-window budgets scaled with it, so the per-second ceilings are the published ones while a run of a
 * few minutes spans several windows (a 300-s window would let a short run spend a whole 5-minute budget at once).
 *
 * Per-row costs, chosen so that the emulator reproduces the published timings (performance-anchors §2.3):
 * - `msPerRecordWrite` 20: UpdateMultiple of 1,000 rows took 19.4 s (≈ 19 ms per row).
 * - `msPerRequest` 20: so that one operation inside `$batch` costs 20 + 20 = 40 ms, as ExecuteMultiple did in
 *   Microsoft's sample (100 updates in 4 s).
 * - `latencyMs` 80 (response delay, not charged): so that one PATCH at a time takes 40 + 80 = 120 ms, as the
 *   sample's simple loop did (100 updates in 12 s).
 * - `msPerRecordRead` 0.4: no published figure; a 5,000-row page then costs 2,020 ms, about the 2 s such a
 *   page takes on a production organisation (our assumption, marked [U]).
 */
export interface CostModel {
  /** `PUT /_emulator/limits` */
  readonly limits: {
    readonly requestsPerWindow: number;
    readonly executionMsPerWindow: number;
    readonly windowSeconds: number;
    readonly maxConcurrent: number;
    readonly msPerRequest: number;
    readonly msPerRecordRead: number;
    readonly msPerRecordWrite: number;
  };
  /** `PUT /_emulator/faults`: only the response latency (no failures). */
  readonly faults: { readonly seed: number; readonly latencyMs: number };
}

export const costModel: CostModel = {
  limits: {
    requestsPerWindow: 600,
    executionMsPerWindow: 120_000,
    windowSeconds: 30,
    maxConcurrent: 52,
    msPerRequest: 20,
    msPerRecordRead: 0.4,
    msPerRecordWrite: 20,
  },
  faults: { seed: 1, latencyMs: 80 },
};

/** The shape of the requests a workload consists of. */
export interface RequestShape {
  /** Operations per request (inner requests of a `$batch`). */
  readonly operations: number;
  readonly rowsRead: number;
  readonly rowsWritten: number;
}

/**
 * The shape of a push request carrying `rows` updates. A `$batch` is charged `msPerRequest` per inner request
 * (`operations` = rows); a bulk message (UpdateMultiple) is one operation, charged `msPerRequest` once plus
 * `msPerRecordWrite` per row (docs/emulator-limits.md). S4's ceiling uses the shape the engine really sends.
 */
export function pushShape(rows: number, via: 'UpdateMultiple' | '$batch'): RequestShape {
  return { operations: via === 'UpdateMultiple' ? 1 : rows, rowsRead: 0, rowsWritten: rows };
}

/** What the workload reads or writes: rows per request. */
const rowsPerRequest = (shape: RequestShape) => Math.max(shape.rowsRead, shape.rowsWritten);

/** Charged execution time of one request (the emulator's formula). */
export function executionMs(model: CostModel, shape: RequestShape): number {
  const { msPerRequest, msPerRecordRead, msPerRecordWrite } = model.limits;
  return (
    msPerRequest * shape.operations + shape.rowsRead * msPerRecordRead + shape.rowsWritten * msPerRecordWrite
  );
}

export type Bound = 'concurrency' | 'requests' | 'execution time';

export interface Ceiling {
  readonly rowsPerSecond: number;
  readonly bound: Bound;
}

/**
 * Sustained ceiling (docs/emulator-limits.md): requests/s ≤ min(c × 1000 / t, R / W, E / (W × t)), with every
 * slot in use (c = maxConcurrent) and t including the response latency for the slot term; rows/s is that times
 * the rows per request.
 */
export function sustainedCeiling(model: CostModel, shape: RequestShape): Ceiling {
  const { windowSeconds } = model.limits;
  const [requestsPerWindow, executionMsPerWindow, maxConcurrent] = limitsOf(model);
  const t = executionMs(model, shape);
  const rows = rowsPerRequest(shape);
  return smallest([
    ['concurrency', ((maxConcurrent * 1000) / (t + model.faults.latencyMs)) * rows],
    ['requests', (requestsPerWindow / windowSeconds) * rows],
    ['execution time', (executionMsPerWindow / (windowSeconds * t)) * rows],
  ]);
}

/**
 * The most rows an ideal client can move in `seconds` under the model. Any span of `seconds` is covered by
 * ⌈seconds / W⌉ windows, each holding at most the window's request and time budgets, so a run shorter than a
 * few windows may beat the sustained rate by spending a fresh window at once; this bound counts that.
 */
export function ceilingOver(model: CostModel, shape: RequestShape, seconds: number): Ceiling {
  const { windowSeconds } = model.limits;
  const [requestsPerWindow, executionMsPerWindow, maxConcurrent] = limitsOf(model);
  const t = executionMs(model, shape);
  const rows = rowsPerRequest(shape);
  const windows = Math.max(1, Math.ceil(seconds / windowSeconds));
  const total = smallest([
    ['concurrency', ((maxConcurrent * seconds * 1000) / (t + model.faults.latencyMs)) * rows],
    ['requests', requestsPerWindow * windows * rows],
    ['execution time', ((executionMsPerWindow * windows) / t) * rows],
  ]);
  return { rowsPerSecond: total.rowsPerSecond / seconds, bound: total.bound };
}

/**
 * The shortest time in which an ideal client could push `rows` updates under the model, starting with a fresh
 * window: S4's yardstick (efficiency = this ÷ the engine's push time), for either write path the engine may
 * take (B4.5): `UpdateMultiple` (the default here), or `$batch` with per-request `If-Match`, each update an
 * inner request charged `msPerRequest + msPerRecordWrite` (40 ms under the bench's model). `bulkRows` is the
 * most updates per request: the engine's `writeBatchSize` (1,000), which the connector caps at 1,000 for both.
 *
 * Why not `ceilingOver`: it assumes an endless backlog, so a fixed amount of work is capped below 100 % for
 * any client — 10,000 updates need 200 s of execution, two 30-s windows' budget, so every push of them spans
 * two windows, and `ceilingOver` then grants 2 × 5,994 rows: 83.4 % at best, however fast the client is. What
 * a fixed amount of work can do is finish sooner, so the ideal time is what S4 compares with:
 * - the ideal client spends each window's whole budget at the instant the window opens, in requests of up to
 *   `bulkRows` rows (for UpdateMultiple the cheapest per row: one `msPerRequest` per request; a `$batch` costs
 *   the same per update whatever its size); the last part is sent (n − 1) × W after the first, n being the
 *   windows the rows need;
 * - a window admits requests while its charged time is at most the budget (Dataverse's limits trip only
 *   after being exceeded, reference §6; the emulator does the same), so it holds the budget plus one more
 *   request: up to `bulkRows` rows more. That is worth 1.7 % of the real 300-s window but 17 % of the bench's
 *   10× shorter one for UpdateMultiple (a 1,000-update `$batch` costs 40 s: a third of a window) — an artefact
 *   of the shortened window, yet a client can use it, and a yardstick without it was beaten: 24,000 updates
 *   fit four windows with the engine's ~290-row overshoots (103 s, 116 %) but five without any. So it is
 *   counted: the ideal time is a true lower bound in the emulator, never flattering;
 * - that last part runs spread over every concurrent slot (fractional rows, no per-request charge for the
 *   smaller requests: relaxations in the ideal client's favour, never the engine's), plus the response latency;
 * - and no client beats the slots themselves: rows ÷ slots × (per-row time incl. latency) is a floor.
 * The result is still a step function of `rows` (a row more than n windows hold costs a whole window), as the
 * limits are; a push near such a step reads low or high by up to the tail of one window.
 */
export function idealPushMs(
  model: CostModel,
  rows: number,
  bulkRows: number,
  via: 'UpdateMultiple' | '$batch' = 'UpdateMultiple',
): number {
  if (rows <= 0) return 0;
  const { windowSeconds } = model.limits;
  const [requestsPerWindow, executionMsPerWindow, maxConcurrent] = limitsOf(model);
  const largest = executionMs(model, pushShape(bulkRows, via));
  const perRow = largest / bulkRows;
  const rowsPerWindow = Math.min((executionMsPerWindow + largest) / perRow, requestsPerWindow * bulkRows);
  const windows = Number.isFinite(rowsPerWindow) ? Math.max(1, Math.ceil(rows / rowsPerWindow)) : 1;
  const last = Number.isFinite(rowsPerWindow) ? rows - (windows - 1) * rowsPerWindow : rows;
  const slots = Number.isFinite(maxConcurrent) ? maxConcurrent : Math.ceil(rows / bulkRows);
  const latency = model.faults.latencyMs;
  const tail = executionMs(model, pushShape(last / slots, via)) + latency;
  const slotFloor = (rows / slots) * (perRow + latency / bulkRows);
  return Math.max((windows - 1) * windowSeconds * 1000 + tail, slotFloor);
}

/**
 * The most rows/s a change-tracked initial load can reach under the model, whatever the client (B2.3 keeps
 * change tracking): each entity's tracked load is one `@odata.nextLink` chain — `$filter`/`$top` are refused
 * under `odata.track-changes` and the delta link comes only on the last page — so a chain has one page in
 * flight, and with every entity's chain read at once the load lasts at least its longest chain. Rows per
 * second ≤ all rows ÷ (pages of the longest chain × (execution time of a page + response latency)). S3 reports
 * its rate against this bound beside the model's ceiling (docs/benchmarks.md, S3).
 */
export function trackedLoadBound(
  model: CostModel,
  pageSize: number,
  longestChainRows: number,
  allRows: number,
): number {
  const pageMs = (rows: number) =>
    executionMs(model, { operations: 1, rowsRead: rows, rowsWritten: 0 }) + model.faults.latencyMs;
  const fullPages = Math.floor(longestChainRows / pageSize);
  const rest = longestChainRows - fullPages * pageSize;
  const chainMs = fullPages * pageMs(pageSize) + (rest > 0 || fullPages === 0 ? pageMs(rest) : 0);
  return allRows / (chainMs / 1000);
}

/** Requests and execution time per window, concurrency; the emulator turns a limit off with 0. */
function limitsOf(model: CostModel): [number, number, number] {
  const { requestsPerWindow, executionMsPerWindow, maxConcurrent } = model.limits;
  const on = (value: number) => (value > 0 ? value : Infinity);
  return [on(requestsPerWindow), on(executionMsPerWindow), on(maxConcurrent)];
}

function smallest(candidates: readonly [Bound, number][]): Ceiling {
  const [bound, rowsPerSecond] = candidates.reduce((low, next) => (next[1] < low[1] ? next : low));
  return { rowsPerSecond, bound };
}
