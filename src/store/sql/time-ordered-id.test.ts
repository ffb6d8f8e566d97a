import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validate, version } from 'uuid';
import { timeOrderedId } from './time-ordered-id.ts';

test('ids are valid UUIDv7 and strictly increasing, also within one millisecond', () => {
  const ids = Array.from({ length: 5_000 }, () => timeOrderedId(1_764_900_000_000));
  for (const id of ids) {
    assert.ok(validate(id), id);
    assert.equal(version(id), 7);
  }
  for (let i = 1; i < ids.length; i += 1) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
});

test('a later millisecond sorts after every id of an earlier one, and the clock going back does not reorder', () => {
  const first = timeOrderedId(1_764_900_100_000);
  const later = timeOrderedId(1_764_900_100_001);
  const clockBack = timeOrderedId(1_764_900_099_000);
  assert.ok(first < later);
  assert.ok(later < clockBack, 'an id made after a clock step back still sorts last');
  const stamp = (id: string) => parseInt(id.replace('-', '').slice(0, 12), 16);
  assert.equal(stamp(first), 1_764_900_100_000, 'the first 48 bits are the millisecond');
  assert.equal(stamp(later), 1_764_900_100_001);
});

test('the random part is not repeated across many ids (the pool is refilled)', () => {
  const tails = new Set(Array.from({ length: 2_000 }, () => timeOrderedId().slice(-12)));
  assert.ok(tails.size > 1_990, `distinct random tails: ${tails.size}`);
});
