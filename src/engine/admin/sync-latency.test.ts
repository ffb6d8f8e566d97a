import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder } from './sync-latency.ts';

function clock(start = Date.parse('2026-01-01T10:00:00.000Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('B2.8: percentiles by nearest rank, exact at the extremes and within 2 % inside; none without samples', () => {
  const time = clock();
  const latency = new LatencyRecorder({ now: time.now });
  assert.deepEqual(latency.summary().toCrm, { p50Ms: null, p95Ms: null, p99Ms: null, count: 0 });
  for (let ms = 1; ms <= 100; ms += 1) latency.record('toCrm', ms * 100);
  const { toCrm, fromCrm } = latency.summary();
  assert.equal(toCrm.count, 100);
  assert.ok(Math.abs(toCrm.p50Ms! - 5000) <= 100, `p50 ${toCrm.p50Ms}`);
  assert.ok(Math.abs(toCrm.p95Ms! - 9500) <= 190, `p95 ${toCrm.p95Ms}`);
  assert.ok(Math.abs(toCrm.p99Ms! - 9900) <= 198, `p99 ${toCrm.p99Ms}`);
  assert.equal(fromCrm.count, 0);

  const one = new LatencyRecorder({ now: time.now });
  one.record('fromCrm', 812);
  assert.deepEqual(one.summary().fromCrm, { p50Ms: 812, p95Ms: 812, p99Ms: 812, count: 1 });
});

test('B2.8: only the last hour counts; older minutes drop out', () => {
  const time = clock();
  const latency = new LatencyRecorder({ now: time.now });
  latency.record('fromCrm', 60_000);
  time.advance(30 * 60_000);
  latency.record('fromCrm', 1_000);
  assert.equal(latency.summary().fromCrm.count, 2);
  time.advance(31 * 60_000);
  assert.deepEqual(latency.summary().fromCrm, { p50Ms: 1000, p95Ms: 1000, p99Ms: 1000, count: 1 });
  time.advance(60 * 60_000);
  assert.equal(latency.summary().fromCrm.count, 0);
});

test('B2.8 toCrm: from the earliest pending marketing change to the accepted push; a dropped push is no sample', () => {
  const time = clock();
  const latency = new LatencyRecorder({ now: time.now });
  const samples: [string, number][] = [];
  latency.onSample((direction, ms) => samples.push([direction, ms]));
  const start = time.now();
  latency.marketingChangePending('contact', 'c1', start);
  latency.marketingChangePending('contact', 'c1', start + 400); // a later change of the same record
  latency.marketingChangePending('lead', 'l1', start);
  time.advance(1_500);
  latency.pushAccepted('contact', 'c1');
  latency.pushDropped('lead', 'l1');
  latency.pushAccepted('lead', 'l1');
  latency.pushAccepted('contact', 'c1'); // settled already: no second sample
  assert.deepEqual(samples, [['toCrm', 1500]]);
  assert.equal(latency.summary().toCrm.count, 1);
});

test('B2.8 fromCrm: from modifiedon (ISO or epoch ms) to now; clock skew counts as 0; junk is ignored', () => {
  const time = clock();
  const latency = new LatencyRecorder({ now: time.now });
  latency.recordFromCrm(new Date(time.now() - 2_000).toISOString());
  latency.recordFromCrm(time.now() + 500);
  latency.recordFromCrm('not a date');
  const { fromCrm } = latency.summary();
  assert.equal(fromCrm.count, 2);
  assert.equal(fromCrm.p99Ms, 2000);
  assert.equal(fromCrm.p50Ms, 0);
});
