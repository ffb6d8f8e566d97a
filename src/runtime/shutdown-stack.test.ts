import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../logging/logger.ts';
import { ShutdownStack } from './shutdown-stack.ts';

test('close() stops the components newest first, once, and keeps going past a failing one', async () => {
  const stopped: string[] = [];
  const stack = new ShutdownStack(silentLogger());
  stack.push('store', async () => void stopped.push('store'));
  stack.push('crm', async () => {
    stopped.push('crm');
    throw new Error('socket already closed');
  });
  stack.push('sync', async () => void stopped.push('sync'));
  await Promise.all([stack.close(), stack.close()]);
  await stack.close();
  assert.deepEqual(stopped, ['sync', 'crm', 'store']);
});

test('a component opened after the shutdown began is refused, so it cannot outlive the store', async () => {
  const stack = new ShutdownStack(silentLogger());
  await stack.close();
  assert.throws(() => stack.push('api', async () => {}), /'api' opened after the shutdown began/);
});
