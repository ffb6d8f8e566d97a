import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCrmPending, describeInitialLoadTotal, formatCrmPending } from './crm-counts.ts';

test('B6.5 pending from the CRM reads as a count, a capped count or a dash, and says what it counts', () => {
  const at = '2026-03-01T10:00:00.000Z';
  assert.equal(
    formatCrmPending({ pending: 1204, atLeast: false, basis: 'delta-token', countedAt: at }),
    '1,204',
  );
  assert.equal(
    formatCrmPending({ pending: 5000, atLeast: true, basis: 'modifiedon', countedAt: at }),
    '5,000+',
  );
  assert.equal(formatCrmPending({ pending: null, atLeast: false, basis: null, countedAt: null }), '—');
  assert.match(
    describeCrmPending({ pending: 3, atLeast: false, basis: 'delta-token', countedAt: at }),
    /since the last pass.*change-tracking token/,
  );
  assert.match(
    describeCrmPending({ pending: 5000, atLeast: true, basis: 'modifiedon', countedAt: at }),
    /deletes are not counted; Dataverse stops counting at 5,000/,
  );
  assert.match(
    describeCrmPending({ pending: null, atLeast: false, basis: null, countedAt: null }),
    /Not counted/,
  );
});

test('B2.6 the initial-load caption names the snapshot and what was read beyond it', () => {
  assert.match(describeInitialLoadTotal({ total: null, processed: 10 }), /did not tell/);
  const within = describeInitialLoadTotal({ total: 100, processed: 40 });
  assert.match(within, /RetrieveTotalRecordCount.*within the last 24 hours/);
  assert.doesNotMatch(within, /more rows/);
  assert.match(
    describeInitialLoadTotal({ total: 100, processed: 102 }),
    /2 more rows were read than the snapshot counted/,
  );
});
