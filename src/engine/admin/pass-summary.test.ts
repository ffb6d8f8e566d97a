import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passSummary } from './pass-summary.ts';

test('the pass summary carries the key figures: pulled, pushed, failed, and conflicts or deferrals when any', () => {
  assert.equal(passSummary({}, 1300), 'pass done in 1.3 s: 0 pulled, 0 pushed, 0 failed');
  assert.equal(
    passSummary(
      {
        'contact.fromCrm.created': 30,
        'contact.fromCrm.updated': 8,
        'contact.fromCrm.unchanged': 500,
        'contact.fromCrm.filtered': 4,
        'lead.fromCrm.deleted': 1,
        'lead.fromCrm.converted': 1,
        'contact.toCrm.updated': 2,
        'lead.toCrm.updated': 1,
        'lead.toCrm.failed': 1,
        'lead.toCrm.staleEtag': 3,
        'contact.conflicts': 2,
        'marketing.changes': 12,
        'errors.new': 1,
      },
      42_400,
    ),
    'pass done in 42 s: 40 pulled, 3 pushed, 1 failed, 2 conflicts',
  );
  assert.equal(
    passSummary({ 'contact.toCrm.deferred': 5, 'account.conflicts': 1 }, 185_000),
    'pass done in 3 min 5 s: 0 pulled, 0 pushed, 0 failed, 1 conflict, 5 deferred',
  );
});
