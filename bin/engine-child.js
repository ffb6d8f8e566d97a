// The engine child of `bin/syncline.js` (run with the heap limits). It runs the CLI like the binary does, and
// ends when its parent ends: the parent holds the other end of an IPC channel, which the kernel closes when the
// parent exits or is killed with SIGKILL — a signal that cannot be forwarded (B2.9: no engine is left behind).

import { setTimeout } from 'node:timers';

/** How long the child may take to stop at a safe boundary before it exits anyway. */
const stopGraceMs = 10_000;

if (process.channel !== undefined) {
  // Only a watch: the channel must not keep a finished `sync --once` alive.
  process.channel.unref();
  process.once('disconnect', () => {
    process.stderr.write('syncline: the parent process is gone; stopping the engine\n');
    // The same path as a supervisor's SIGTERM: stop at the next safe boundary (B2.4). If that takes too long,
    // exit anyway: a crash at any instant loses nothing (B2.4), a second engine would.
    setTimeout(() => process.exit(1), stopGraceMs).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}

await import('../src/main.ts');
