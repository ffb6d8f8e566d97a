import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineHeapFlags, missingEngineHeapFlags } from './engine-heap.ts';

const argv = (...args: string[]) => ['/usr/bin/node', '/app/bin/syncline.js', ...args];

test('start and sync get the engine heap flags; other commands and help do not', () => {
  assert.deepEqual(missingEngineHeapFlags(argv('start'), [], undefined), engineHeapFlags);
  assert.deepEqual(missingEngineHeapFlags(argv('sync', '--once'), [], undefined), engineHeapFlags);
  assert.deepEqual(missingEngineHeapFlags(argv('--verbose', 'start'), [], ''), engineHeapFlags);
  assert.equal(missingEngineHeapFlags(argv('emulator', '--contacts', '1000000'), [], undefined), undefined);
  assert.equal(missingEngineHeapFlags(argv('check'), [], undefined), undefined);
  assert.equal(missingEngineHeapFlags(argv(), [], undefined), undefined);
});

test('heap flags the operator gave (node arguments or NODE_OPTIONS) win and nothing restarts', () => {
  assert.equal(missingEngineHeapFlags(argv('start'), ['--max-old-space-size=1024'], undefined), undefined);
  assert.equal(missingEngineHeapFlags(argv('start'), [], '--max-semi-space-size=32'), undefined);
  assert.equal(missingEngineHeapFlags(argv('start'), [...engineHeapFlags], undefined), undefined);
  assert.deepEqual(
    missingEngineHeapFlags(argv('start'), ['--enable-source-maps'], '--trace-warnings'),
    engineHeapFlags,
  );
});
