import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLimit, decodeCursor, encodeCursor, toPage } from './page-cursor.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

test('cursors round-trip and are bound to their list and key shape', () => {
  const cursor = encodeCursor('activities', ['2024-01-01T00:00:00.000Z', 'id-1']);
  assert.deepEqual(decodeCursor(cursor, 'activities', ['string', 'string']), [
    '2024-01-01T00:00:00.000Z',
    'id-1',
  ]);
  assert.equal(
    codeOf(() => decodeCursor(cursor, 'persons', ['string'])),
    'INVALID_CURSOR',
  );
  assert.equal(
    codeOf(() => decodeCursor(cursor, 'activities', ['string', 'number'])),
    'INVALID_CURSOR',
  );
  assert.equal(
    codeOf(() => decodeCursor('%%%', 'activities', ['string'])),
    'INVALID_CURSOR',
  );
  assert.equal(
    codeOf(() => decodeCursor(encodeCursor('persons', ['a\u0000b']), 'persons', ['string'])),
    'INVALID_CURSOR',
  );
});

test('limits are whole numbers within the maximum', () => {
  assert.equal(
    codeOf(() => checkLimit(1)),
    undefined,
  );
  assert.equal(
    codeOf(() => checkLimit(1000)),
    undefined,
  );
  for (const limit of [0, 1001, 2.5, -3, Number.NaN]) {
    assert.equal(
      codeOf(() => checkLimit(limit)),
      'VALIDATION_FAILED',
      String(limit),
    );
  }
  assert.equal(
    codeOf(() => checkLimit(5000, 10_000)),
    undefined,
  );
});

test('toPage serves `limit` rows and a cursor only when a further row exists', () => {
  const more = toPage(
    [1, 2, 3],
    2,
    (n) => n * 10,
    (n) => `c${n}`,
  );
  assert.deepEqual(more, { items: [10, 20], nextCursor: 'c2' });
  const last = toPage(
    [1, 2],
    2,
    (n) => n,
    (n) => `c${n}`,
  );
  assert.deepEqual(last, { items: [1, 2], nextCursor: null });
});
