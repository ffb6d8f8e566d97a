import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorCodes } from './codes.ts';
import { SynclineError } from './syncline-error.ts';

test('every error code is UPPER_SNAKE_CASE with a 4xx/5xx status, a description and what to do', () => {
  const entries = Object.entries(errorCodes);
  assert.ok(entries.length > 10);
  for (const [code, entry] of entries) {
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
    assert.ok(entry.status >= 400 && entry.status < 600, `${code} status ${entry.status}`);
    assert.ok(entry.description.length > 10, `${code} needs a description`);
    assert.ok(entry.action.length > 20, `${code} needs an action: what an operator does about it`);
    assert.notEqual(
      entry.action,
      entry.description,
      `${code}: the action says what to do, not what happened`,
    );
  }
});

test('SynclineError takes its status from the registry and renders the API error body', () => {
  const error = new SynclineError('UNKNOWN_FIELD', 'No person field named "shoeSize".', {
    details: { field: 'shoeSize' },
  });
  assert.equal(error.status, 400);
  assert.deepEqual(error.toBody(), {
    error: {
      code: 'UNKNOWN_FIELD',
      message: 'No person field named "shoeSize".',
      details: { field: 'shoeSize' },
    },
  });
  assert.deepEqual(new SynclineError('NOT_FOUND', 'x').toBody(), {
    error: { code: 'NOT_FOUND', message: 'x' },
  });
});
