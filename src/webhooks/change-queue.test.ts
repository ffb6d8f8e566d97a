import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeQueue } from './change-queue.ts';

test('B2.8: duplicated and repeated webhooks for a record are one entry; a Delete sticks', () => {
  const queue = new ChangeQueue();
  assert.equal(queue.add('contact', 'a', false, 100), true);
  assert.equal(queue.add('contact', 'a', true, 50), true);
  assert.equal(queue.add('contact', 'a', false, 200), true);
  assert.equal(queue.add('lead', 'a', false, 100), true);
  assert.equal(queue.size, 2);
  assert.deepEqual(queue.entities().sort(), ['contact', 'lead']);
  assert.equal(queue.nextDueAt(), 50);
  assert.deepEqual(queue.take('contact', 10, 49), [], 'not due yet');
  assert.deepEqual(queue.take('contact', 10, 50), [{ id: 'a', deleted: true, attempts: 0, dueAt: 50 }]);
  assert.equal(queue.size, 1);
});

test('take returns at most the batch size, oldest first', () => {
  const queue = new ChangeQueue();
  for (const id of ['a', 'b', 'c']) queue.add('contact', id, false, 0);
  assert.deepEqual(
    queue.take('contact', 2, 0).map((record) => record.id),
    ['a', 'b'],
  );
  assert.deepEqual(
    queue.take('contact', 2, 0).map((record) => record.id),
    ['c'],
  );
  assert.deepEqual(queue.take('contact', 2, 0), []);
});

test('a record put back counts its attempts and merges with a webhook that came meanwhile', () => {
  const queue = new ChangeQueue();
  queue.add('contact', 'a', false, 0);
  const [taken] = queue.take('contact', 1, 0);
  queue.add('contact', 'a', true, 10);
  queue.retry('contact', taken!, 500);
  assert.deepEqual(queue.take('contact', 1, 10), [{ id: 'a', deleted: true, attempts: 1, dueAt: 10 }]);
  queue.retry('contact', { id: 'b', deleted: false, attempts: 1, dueAt: 0 }, 700);
  assert.deepEqual(queue.take('contact', 1, 700), [{ id: 'b', deleted: false, attempts: 2, dueAt: 700 }]);
});

test('a full queue refuses new records (the pass carries them); clear forgets everything', () => {
  const queue = new ChangeQueue(2);
  assert.equal(queue.add('contact', 'a', false, 0), true);
  assert.equal(queue.add('lead', 'b', false, 0), true);
  assert.equal(queue.add('lead', 'c', false, 0), false);
  assert.equal(queue.add('lead', 'b', true, 0), true, 'a record already queued still merges');
  assert.equal(queue.clear(), 2);
  assert.equal(queue.size, 0);
  assert.equal(queue.nextDueAt(), undefined);
});
