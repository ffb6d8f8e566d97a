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
  const main = new URL('../src/main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [...process.execArgv, ...flags, main, ...process.argv.slice(2)], {
    stdio: 'inherit',
    detached: true,
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const name of signals) process.removeAllListeners(name);
    process.kill(process.pid, signal);
  });
}
