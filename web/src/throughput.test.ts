import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncPassView } from './api/types.ts';
import { hourlyThroughput, writtenRecords } from './throughput.ts';

const pass = (startedAt: string, counts: Record<string, number>): SyncPassView => ({
  id: startedAt,
  trigger: 'schedule',
  status: 'succeeded',
  startedAt,
  finishedAt: startedAt,
  counts,
  error: null,
});

test('B6.5 throughput counts only records written, by direction', () => {
  const written = writtenRecords(
    pass('2025-01-01T10:00:00Z', {
      'contact.fromCrm.created': 4,
      'contact.fromCrm.filtered': 9,
      'lead.toCrm.updated': 2,
      'lead.toCrm.failed': 7,
      'marketing.changes': 3,
    }),
  );
  assert.deepEqual(written, { toCrm: 2, fromCrm: 4 });
});

test('B6.5 throughput puts passes into the hour they started, last 24 hours only', () => {
  const now = new Date('2025-01-02T10:30:00Z');
  const buckets = hourlyThroughput(
    [
      pass('2025-01-02T10:05:00Z', { 'lead.fromCrm.updated': 5 }),
      pass('2025-01-02T10:25:00Z', { 'lead.toCrm.created': 1 }),
      pass('2025-01-02T08:59:59Z', { 'lead.fromCrm.updated': 2 }),
      pass('2025-01-01T10:00:00Z', { 'lead.fromCrm.updated': 100 }),
    ],
    now,
  );
  assert.equal(buckets.length, 24);
  assert.equal(buckets[23]!.start.toISOString(), '2025-01-02T10:00:00.000Z');
  assert.deepEqual([buckets[23]!.fromCrm, buckets[23]!.toCrm], [5, 1]);
  assert.equal(buckets[21]!.fromCrm, 2);
  assert.equal(
    buckets.reduce((sum, bucket) => sum + bucket.fromCrm, 0),
    7,
    'a pass older than 24 hours is left out',
  );
});
