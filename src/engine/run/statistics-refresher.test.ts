import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../logging/logger.ts';
import type { Store } from '../../store/store.ts';
import { StatisticsRefresher } from './statistics-refresher.ts';

/**
 * A refresher over a store whose refreshStatistics calls are recorded and end when the test says so, with a
 * logger whose lines are kept.
 */
function setup(firstAt: number) {
  const calls: { finish: () => void; fail: (error: Error) => void }[] = [];
  const store = {
    refreshStatistics: () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ finish: resolve, fail: reject });
      }),
  } as unknown as Store;
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const refresher = new StatisticsRefresher(store, createLogger({ level: 'debug', destination }), firstAt);
  /** Ends the latest refresh and waits until the refresher has seen it end. */
  const finishLatest = async () => {
    calls.at(-1)!.finish();
    await refresher.settled();
  };
  return { refresher, calls, lines, finishLatest };
}

test('refreshes after the first threshold, then each time the rows written have doubled', async () => {
  const { refresher, calls, finishLatest } = setup(1_000);
  refresher.rowsWritten(999);
  assert.equal(calls.length, 0, 'below the first threshold');
  refresher.rowsWritten(1);
  assert.equal(calls.length, 1, 'at 1,000 rows');
  await finishLatest();
  refresher.rowsWritten(999);
  assert.equal(calls.length, 1, '1,999 rows: not yet doubled');
  refresher.rowsWritten(1);
  assert.equal(calls.length, 2, 'at 2,000 rows');
  await finishLatest();
  refresher.rowsWritten(2_000);
  assert.equal(calls.length, 3, 'at 4,000 rows');
  await finishLatest();
});

test('never runs two refreshes at once; a threshold crossed meanwhile is taken by the next page', async () => {
  const { refresher, calls, finishLatest } = setup(100);
  refresher.rowsWritten(100);
  refresher.rowsWritten(500);
  assert.equal(calls.length, 1, 'the first refresh is still running');
  await finishLatest();
  refresher.rowsWritten(1);
  assert.equal(calls.length, 2, '601 rows ≥ 200: the next page starts one');
  await finishLatest();
});

test('a failed refresh is logged as a warning, not thrown, and settled() resolves', async () => {
  const { refresher, calls, lines, finishLatest } = setup(10);
  refresher.rowsWritten(10);
  calls[0].fail(new Error('permission denied for table persons'));
  await refresher.settled();
  const warning = lines.find((line) => line.msg === 'refreshing the planner statistics failed');
  assert.ok(warning, 'warned');
  assert.equal((warning.err as { message: string }).message, 'permission denied for table persons');
  refresher.rowsWritten(10);
  assert.equal(calls.length, 2, 'the next threshold (20 rows) still refreshes');
  await finishLatest();
});
