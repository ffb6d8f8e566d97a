import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ceilingOver,
  costModel,
  executionMs,
  idealPushMs,
  pushShape,
  sustainedCeiling,
  trackedLoadBound,
  type CostModel,
} from '../../bench/sync/cost-model.ts';

/** The worked example of docs/emulator-limits.md ("Throughput ceiling"). */
const documented: CostModel = {
  limits: {
    requestsPerWindow: 0,
    executionMsPerWindow: 1_200_000,
    windowSeconds: 300,
    maxConcurrent: 52,
    msPerRequest: 20,
    msPerRecordRead: 0,
    msPerRecordWrite: 5,
  },
  faults: { seed: 1, latencyMs: 0 },
};
const batchOfTen = { operations: 10, rowsRead: 0, rowsWritten: 10 };

describe('bench cost model', () => {
  it('charges a $batch every inner operation and every row (emulator formula)', () => {
    assert.equal(executionMs(documented, batchOfTen), 250);
    assert.equal(executionMs(costModel, { operations: 1, rowsRead: 5000, rowsWritten: 0 }), 2020);
  });

  it('reproduces the documented ceiling: 16 batches/s = 160 rows/s, bound by execution time', () => {
    // requestsPerWindow 0 is "off", as in the emulator.
    const ceiling = sustainedCeiling(documented, batchOfTen);
    assert.equal(ceiling.bound, 'execution time');
    assert.ok(Math.abs(ceiling.rowsPerSecond - 160) < 1e-9, String(ceiling.rowsPerSecond));
  });

  it('matches the published anchors: a $batch row costs 40 ms, so pushes are capped at 100 rows/s', () => {
    const ceiling = sustainedCeiling(costModel, { operations: 100, rowsRead: 0, rowsWritten: 100 });
    assert.equal(ceiling.bound, 'execution time');
    assert.ok(Math.abs(ceiling.rowsPerSecond - 100) < 1e-9, String(ceiling.rowsPerSecond));
  });

  it('lets a run shorter than a few windows spend whole windows at once, and converges to the sustained rate', () => {
    const shape = { operations: 100, rowsRead: 0, rowsWritten: 100 };
    const sustained = sustainedCeiling(costModel, shape).rowsPerSecond;
    // 45 s touch two 30-s windows: twice 120 s of execution time = 6,000 rows of 40 ms.
    assert.ok(Math.abs(ceilingOver(costModel, shape, 45).rowsPerSecond - 6000 / 45) < 1e-9);
    const long = ceilingOver(costModel, shape, 3000).rowsPerSecond;
    assert.ok(long >= sustained && long < sustained * 1.01, String(long));
  });

  it('is bound by concurrency when a very short run cannot fill its window', () => {
    const shape = { operations: 100, rowsRead: 0, rowsWritten: 100 };
    const ceiling = ceilingOver(costModel, shape, 1);
    assert.equal(ceiling.bound, 'concurrency');
    // 52 slots × one 4,080-ms request each at most in one second (less than one request each).
    assert.ok(Math.abs(ceiling.rowsPerSecond - (52 * 1000 * 100) / 4080) < 1e-9);
  });

  it('times a push that fits one window by the slots alone: 5,000 rows over 52 slots', () => {
    // A window holds its 120,000 ms plus one more 1,000-row request: 140,020 / 20.02 = 6,994 rows; 5,000 fit.
    assert.ok(Math.abs(idealPushMs(costModel, 5000, 1000) - (20 + (5000 / 52) * 20 + 80)) < 1e-9);
  });

  it('lets a fixed amount of work reach 100 %: 10,000 rows take one window plus the rest spread over the slots', () => {
    const perWindow = (120_000 + 20_020) / 20.02;
    const expected = 30_000 + 20 + ((10_000 - perWindow) / 52) * 20 + 80;
    assert.ok(Math.abs(idealPushMs(costModel, 10_000, 1000) - expected) < 1e-9);
    // ceilingOver would grant two full windows (11,988 rows) to any push of 30-60 s: at most 83.4 % for these.
    const span = expected / 1000;
    assert.ok(
      10_000 / span / ceilingOver(costModel, pushShape(1000, 'UpdateMultiple'), span).rowsPerSecond < 0.85,
    );
  });

  it('counts the request a window admits past its budget: 24,000 rows fit four windows, not five', () => {
    // Four windows of exactly 120,000 ms hold 23,976 rows; with one more request each they hold 27,976.
    assert.ok(idealPushMs(costModel, 24_000, 1000) < 3 * 30_000 + 5000);
  });

  it('converges to the budget plus one request per window for long pushes, and grows with the work', () => {
    const rows = 1_000_000;
    const rate = rows / (idealPushMs(costModel, rows, 1000) / 1000);
    const perWindow = (120_000 + 20_020) / 20.02 / 30;
    assert.ok(rate >= perWindow && rate < perWindow * 1.01, String(rate));
    assert.ok(rate > sustainedCeiling(costModel, pushShape(1000, 'UpdateMultiple')).rowsPerSecond);
    let previous = 0;
    for (const count of [1, 100, 6994, 6995, 9000, 12_000, 30_000]) {
      const ms = idealPushMs(costModel, count, 1000);
      assert.ok(ms >= previous, `${count}: ${ms} < ${previous}`);
      previous = ms;
    }
  });

  it('is bound by the slots when the limits are off', () => {
    const open: CostModel = { ...costModel, limits: { ...costModel.limits, executionMsPerWindow: 0 } };
    // 100,000 rows / 52 slots, each row 20 ms plus a share of the 20-ms request charge and 80-ms latency.
    const expected = (100_000 / 52) * (20 + 100 / 1000);
    assert.ok(Math.abs(idealPushMs(open, 100_000, 1000) - expected) < 1e-6);
  });
});

describe('ideal push through $batch (B4.5: the path where UpdateMultiple is not proved)', () => {
  const batch = (rows: number) => idealPushMs(costModel, rows, 1000, '$batch');

  it('charges 40 ms per update: a window holds its 120,000 ms plus one more 1,000-update batch = 4,000', () => {
    // 3,000 updates fit the budget alone: spread over the 52 slots, 40 ms each, plus the response latency.
    assert.ok(Math.abs(batch(3000) - ((3000 / 52) * 40 + 80)) < 1e-9, String(batch(3000)));
    // 4,000 still fit one window (the batch that crosses the budget is served); 4,001 need a second one.
    assert.ok(Math.abs(batch(4000) - ((4000 / 52) * 40 + 80)) < 1e-9, String(batch(4000)));
    assert.ok(Math.abs(batch(4001) - (30_000 + (1 / 52) * 40 + 80)) < 1e-9, String(batch(4001)));
  });

  it('times S4 at scale 0.1: 10,000 updates take two windows and the last 2,000 over the slots', () => {
    const expected = 2 * 30_000 + (2000 / 52) * 40 + 80;
    assert.ok(Math.abs(batch(10_000) - expected) < 1e-9, String(batch(10_000)));
    // The same updates through UpdateMultiple (20.02 ms each) need one window less.
    assert.ok(idealPushMs(costModel, 10_000, 1000) < batch(10_000) - 25_000);
  });

  it('converges to 4,000 updates per window for long pushes and never to less than the sustained ceiling', () => {
    const rows = 1_000_000;
    const rate = rows / (batch(rows) / 1000);
    assert.ok(rate >= 4000 / 30 && rate < (4000 / 30) * 1.01, String(rate));
    // The sustained ceiling (no window-crossing bonus): 100 updates/s.
    assert.ok(rate > sustainedCeiling(costModel, pushShape(1000, '$batch')).rowsPerSecond);
  });

  it('is bound by the slots when the limits are off: 52 batches of 40 ms per update at once', () => {
    const open: CostModel = { ...costModel, limits: { ...costModel.limits, executionMsPerWindow: 0 } };
    const expected = (100_000 / 52) * (40 + 80 / 1000);
    assert.ok(Math.abs(idealPushMs(open, 100_000, 1000, '$batch') - expected) < 1e-6);
  });
});

describe('tracked initial load bound', () => {
  it('is all rows over the longest chain: one page of 2,020 + 80 ms in flight per chain', () => {
    // Scale 0.1: 100,000 contacts (20 pages) and 20,000 subscriptions read as parallel chains.
    assert.equal(Math.round(trackedLoadBound(costModel, 5000, 100_000, 120_000)), 2857);
    // One chain alone: 5,000 rows per 2.1 s.
    assert.equal(Math.round(trackedLoadBound(costModel, 5000, 100_000, 100_000)), 2381);
    // A partial last page costs its own rows: 5,001 rows = 2,100 ms + (20 + 0.4 + 80) ms.
    assert.equal(Math.round(trackedLoadBound(costModel, 5000, 5_001, 5_001)), 2273);
  });
});
