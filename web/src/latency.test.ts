import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLatency, withinTargets } from './latency.ts';

test('B2.8 latency reads in the unit that fits it', () => {
  assert.equal(formatLatency(null), '—');
  assert.equal(formatLatency(0), '0 ms');
  assert.equal(formatLatency(849.6), '850 ms');
  assert.equal(formatLatency(2_440), '2.4 s');
  assert.equal(formatLatency(12_600), '13 s');
  assert.equal(formatLatency(65_000), '1 min 5 s');
  assert.equal(formatLatency(120_000), '2 min');
  assert.equal(formatLatency(3_900_000), '1 h 5 min');
});

test('B2.8 a direction is within the targets when p95 ≤ 5 s and p99 ≤ 10 s; unknown without changes', () => {
  const none = { p50Ms: null, p95Ms: null, p99Ms: null, count: 0 };
  assert.equal(withinTargets(none), null);
  assert.equal(withinTargets({ p50Ms: 900, p95Ms: 5000, p99Ms: 10_000, count: 40 }), true);
  assert.equal(withinTargets({ p50Ms: 900, p95Ms: 5001, p99Ms: 6000, count: 40 }), false);
  assert.equal(withinTargets({ p50Ms: 900, p95Ms: 3000, p99Ms: 12_000, count: 40 }), false);
});
