import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedLock } from './keyed-lock.ts';

test('B7.2 one key runs one task at a time, in arrival order; other keys are not held up', async () => {
  const lock = new KeyedLock();
  const events: string[] = [];
  let releaseFirst!: () => void;
  const gate = new Promise<void>((resolve) => {
    releaseFirst = resolve;
  });
  const first = lock.run('a', async () => {
    events.push('a1 start');
    await gate;
    events.push('a1 end');
  });
  const second = lock.run('a', async () => {
    events.push('a2');
  });
  await lock.run('b', async () => {
    events.push('b');
  });
  assert.deepEqual(events, ['a1 start', 'b'], 'b ran while a was held; a2 waits');
  releaseFirst();
  await Promise.all([first, second]);
  assert.deepEqual(events, ['a1 start', 'b', 'a1 end', 'a2']);
  assert.equal(lock.size, 0, 'idle keys are forgotten');
});

test('a failing task releases the key and its error reaches its caller only', async () => {
  const lock = new KeyedLock();
  const failing = lock.run('k', async () => {
    throw new Error('boom');
  });
  const next = lock.run('k', async () => 'ran');
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 'ran');
  assert.equal(lock.size, 0);
});
