import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * B2.9: killing the `syncline` process, even with SIGKILL, leaves no engine process behind. `bin/syncline.js`
 * re-runs the engine in a child that has the heap limits (src/runtime/engine-heap.ts); a supervisor's SIGKILL
 * after its grace period, or the OOM killer, reaches only the parent. Issue 13 (3): the orphaned child kept
 * passing, and the supervisor's restart then ran a second engine on the same database.
 */

const root = join(import.meta.dirname, '..', '..');

/** The child pids of a process, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((part) => part !== '')
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped) is gone for our purpose.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('the syncline binary and its engine child (B2.9)', () => {
  let directory: string;
  const spawned: ChildProcess[] = [];
  /** Every pid seen, so the cleanup also reaches an orphaned child. */
  const pids = new Set<number>();
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'syncline-proc-'));
  });
  after(async () => {
    for (const child of spawned) if (child.pid !== undefined) pids.add(child.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(directory, { recursive: true, force: true });
  });

  function start(): { binary: ChildProcess; output: () => string } {
    const binary = spawn(process.execPath, ['bin/syncline.js', 'start'], {
      cwd: root,
      env: {
        ...process.env,
        SYNCLINE_DB: `sqlite:${join(directory, 'engine.db')}`,
        SYNCLINE_PORT: '0',
        SYNCLINE_EMULATOR_PORT: '0',
        SYNCLINE_API_KEY: 'engine-child-test-key-0123456789',
        SYNCLINE_LOG_LEVEL: 'info',
        SYNCLINE_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.push(binary);
    let text = '';
    binary.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    binary.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { binary, output: () => text };
  }

  test('SIGKILL of the binary ends its engine child too', async () => {
    const { binary, output } = start();
    await waitFor('the API to listen', () => /listening on http/.test(output()), 60_000);
    const [engine] = childrenOf(binary.pid!);
    if (engine !== undefined) pids.add(engine);
    assert.ok(engine !== undefined && alive(engine), `the engine child runs (output: ${output()})`);
    process.kill(binary.pid!, 'SIGKILL');
    await waitFor('the engine child to exit after its parent was killed', () => !alive(engine), 20_000);
  });

  test('SIGTERM of the binary stops the engine at a safe boundary and both exit', async () => {
    const { binary, output } = start();
    await waitFor('the API to listen', () => /listening on http/.test(output()), 60_000);
    const [engine] = childrenOf(binary.pid!);
    assert.ok(engine !== undefined && alive(engine), 'the engine child runs');
    pids.add(engine);
    const exited = new Promise<number | null>((resolve) => binary.once('exit', (code) => resolve(code)));
    process.kill(binary.pid!, 'SIGTERM');
    assert.equal(await exited, 0, output());
    await waitFor('the engine child to exit', () => !alive(engine), 5_000);
    assert.match(output(), /"msg":"stopped"/);
  });

  test('a restart right after SIGKILL waits for the old engine to stop instead of refusing (B2.9)', async () => {
    const first = start();
    await waitFor('the API to listen', () => /listening on http/.test(first.output()), 60_000);
    const [engine] = childrenOf(first.binary.pid!);
    if (engine !== undefined) pids.add(engine);
    // What a supervisor does: kill, and start again at once on the same database.
    process.kill(first.binary.pid!, 'SIGKILL');
    const second = start();
    await waitFor('the restarted API to listen', () => /listening on http/.test(second.output()), 60_000);
    assert.doesNotMatch(second.output(), /ENGINE_ALREADY_RUNNING/);
    assert.ok(engine === undefined || !alive(engine), 'the old engine is gone');
    const exited = new Promise((resolve) => second.binary.once('exit', resolve));
    process.kill(second.binary.pid!, 'SIGTERM');
    await exited;
  });
});
