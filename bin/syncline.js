#!/usr/bin/env node
// The `syncline` binary. The sources are TypeScript run by Node 24's type stripping (no build step).
import { spawn } from 'node:child_process';
import { URL } from 'node:url';
import { missingEngineHeapFlags } from '../src/runtime/engine-heap.ts';

const flags = missingEngineHeapFlags(process.argv, process.execArgv, process.env.NODE_OPTIONS);
if (flags === undefined) {
  await import('../src/main.ts');
} else {
  // Heap limits can only be given when a process starts: run the engine in a child that has them, with the
  // same streams and exit code. The child has a process group of its own so that a terminal's Ctrl+C reaches
  // it once, through here (twice would mean "stop now" instead of "stop at a safe boundary").
  //
  // A SIGKILL of this process (a supervisor after its grace period, the OOM killer) cannot be forwarded, and
  // Linux does not end the children of a killed process: the engine would run on as an orphan beside the
  // supervisor's restart (B2.9). So the child also gets an IPC channel; the kernel closes it whenever this
  // process ends, however it ends, and the child then stops itself (engine-child.js).
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      ...flags,
      new URL('./engine-child.js', import.meta.url).pathname,
      ...process.argv.slice(2),
    ],
    { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true },
  );
  // The channel only watches for our death: it must not keep this process alive on its own.
  child.channel?.unref();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const name of signals) process.removeAllListeners(name);
    process.kill(process.pid, signal);
  });
}
