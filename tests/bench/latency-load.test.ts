import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile } from '../../bench/sync/latency-load.ts';

test('S7 percentiles are nearest-rank over the measured edits', () => {
  const values = Array.from({ length: 120 }, (_, index) => 120 - index); // 120 … 1, unsorted on purpose
  assert.equal(percentile(values, 0.5), 60);
  assert.equal(percentile(values, 0.95), 114);
  assert.equal(percentile(values, 0.99), 119);
  assert.equal(percentile([812], 0.99), 812);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});
