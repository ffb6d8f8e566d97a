import { createServer, type AddressInfo } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root: the harness runs the product only through `bin/syncline.js`. */
export const repositoryRoot = join(import.meta.dirname, '..');

const binary = join(repositoryRoot, 'bin', 'syncline.js');

/**
 * Marks every Syncline process of one seed (in its environment, which /proc shows), so the harness can find
 * the ones left behind after it stopped the binary (B2.9) — orphaned engine children or a second engine.
 */
export const runMarkerVariable = 'CHAOS_RUN_ID';

/** A process of the product the harness started, with its output kept for violation messages. */
export interface ProductProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The tail of its stdout and stderr (the whole output goes to `logFile`, when it has one). */
  output(): string;
  exited(): boolean;
  /** Resolves with the exit code (null after a signal). */
  readonly exit: Promise<number | null>;
}

/**
 * Runs `syncline <args>`. With `logFile`, its whole stdout and stderr are written there as they come (the seed's
 * artifacts, kept when it has a violation); in memory only the tail is kept.
 */
function spawnProduct(
  args: readonly string[],
  env: Record<string, string>,
  logFile: string | undefined,
): ProductProcess {
  const child = spawn(process.execPath, [binary, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = logFile === undefined ? undefined : createWriteStream(logFile, { flags: 'a' });
  // A log that cannot be written must not end the run: the tail in memory still serves the messages.
  file?.on('error', () => undefined);
  file?.write(`# syncline ${args.join(' ')} (pid ${child.pid}) started ${new Date().toISOString()}\n`);
  let text = '';
  const keep = (chunk: Buffer) => {
    file?.write(chunk);
    text += chunk.toString();
    // Keep the tail only: a long run logs a lot, a violation message needs the last lines.
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code);
      // After 'exit' the pipes may still hold output: 'close' comes once they are drained.
      child.once('close', () =>
        file?.end(`# exited ${new Date().toISOString()} with ${signal ?? `code ${code}`}\n`),
      );
    }),
  );
  return { child, pid: child.pid!, output: () => text, exited: () => done, exit };
}

async function waitForOutput(
  product: ProductProcess,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(product.output());
    if (match) return match;
    if (product.exited()) throw new Error(`${what} exited before it was ready:\n${tail(product.output())}`);
    if (Date.now() > deadline)
      throw new Error(`${what} not ready after ${timeoutMs} ms:\n${tail(product.output())}`);
    await sleep(50);
  }
}

export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** `syncline emulator` as its own process; `url` is the organisation URL (without `/api/data/v9.2`). */
export interface EmulatorProcess {
  readonly url: string;
  readonly process: ProductProcess;
  stop(): Promise<void>;
}

export async function startEmulator(
  counts: { contacts: number; leads: number; accounts: number },
  logFile?: string,
): Promise<EmulatorProcess> {
  const product = spawnProduct(
    [
      'emulator',
      '--port',
      '0',
      '--seed',
      'demo',
      '--contacts',
      String(counts.contacts),
      '--leads',
      String(counts.leads),
      '--accounts',
      String(counts.accounts),
    ],
    // debug: the webhook deliveries (the emulator logs no requests), for the artifacts of a violation.
    { SYNCLINE_LOG_LEVEL: 'debug' },
    logFile,
  );
  // 90 s: on a loaded machine (load 15 on 2 cores) Node's start-up alone took over 30 s. A process that did
  // not get ready is stopped, not left running beside the next seeds.
  const match = await waitForOutput(
    product,
    /listening on (http\S+?)\/api\/data\/v9\.2\//,
    90_000,
    'the emulator',
  ).catch(async (error: unknown) => {
    await stopProcess(product);
    throw error;
  });
  return { url: match[1], process: product, stop: () => stopProcess(product) };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopProcess(product: ProductProcess, graceMs = 15_000): Promise<void> {
  if (product.exited()) return;
  product.child.kill('SIGTERM');
  const timer = setTimeout(() => product.child.kill('SIGKILL'), graceMs);
  await product.exit;
  clearTimeout(timer);
}

/**
 * `syncline webhooks install` for the seed's organisation (B2.8): the emulator then calls the first replica's
 * receiver on every change, as a real organisation would.
 */
export async function installWebhooks(env: Record<string, string>, logFile?: string): Promise<void> {
  const product = spawnProduct(['webhooks', 'install'], env, logFile);
  const code = await product.exit;
  if (code !== 0) throw new Error(`syncline webhooks install exited ${code}:\n${tail(product.output())}`);
}

/** A TCP port nobody listens on right now (the first replica listens there, so the webhook URL is known). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment of one seed's Syncline processes (interfaces.md §2). */
export function synclineEnvironment(options: {
  emulatorUrl: string;
  database: string;
  apiKey: string;
  runId: string;
  intervalSeconds: number;
}): Record<string, string> {
  return {
    SYNCLINE_DYNAMICS_URL: options.emulatorUrl,
    SYNCLINE_DYNAMICS_TOKEN: 'emulator-sync-token',
    SYNCLINE_SYNC_INTERVAL: String(options.intervalSeconds),
    SYNCLINE_PORT: '0',
    SYNCLINE_API_KEY: options.apiKey,
    SYNCLINE_DB: options.database,
    SYNCLINE_LOG_LEVEL: 'info',
    SYNCLINE_LOG_FORMAT: 'json',
    [runMarkerVariable]: options.runId,
  };
}

/** A running `syncline start`: the binary and the API URL it logged. */
export interface SynclineProcess {
  readonly process: ProductProcess;
  readonly apiUrl: string;
}

export async function startSyncline(env: Record<string, string>, logFile?: string): Promise<SynclineProcess> {
  const product = spawnProduct(['start'], env, logFile);
  const match = await waitForOutput(
    product,
    /Syncline API listening on (http\S+?)["\s]/,
    90_000,
    'syncline start',
  ).catch(async (error: unknown) => {
    await stopProcess(product);
    throw error;
  });
  return { process: product, apiUrl: match[1] };
}

/** The second engine the harness starts on purpose, and what became of it. */
export interface SecondEngineOutcome {
  readonly command: 'start' | 'sync --once';
  /** It refused with ENGINE_ALREADY_RUNNING (B2.9 on SQLite). */
  readonly refused: boolean;
  /** It ran sync work: `sync --once` finished a pass, or `start` served its API. */
  readonly ran: boolean;
  readonly exitCode: number | null;
  readonly output: string;
}

/**
 * Starts a second engine on the same database and watches it for `watchMs`: a refusal must come quickly
 * (B2.9); one that runs is stopped with SIGTERM once it is seen running (or at the end of the watch).
 */
export async function tryStartSecondEngine(
  command: 'start' | 'sync --once',
  env: Record<string, string>,
  watchMs: number,
  logFile?: string,
): Promise<SecondEngineOutcome> {
  const product = spawnProduct(command === 'start' ? ['start'] : ['sync', '--once'], env, logFile);
  let deadline = Date.now() + watchMs;
  const running = /Syncline API listening on|Pass succeeded|"msg":"pass started"/;
  // Once the engine hold says it waits (up to 12 s: on SQLite for the running engine to stop, on PostgreSQL
  // for the cluster's `sync` lease), the refusal is due 12 s later however long the process took to get there
  // (a loaded machine starts Node slowly): watch that long.
  const waiting = /waiting up to (\d+) s for it|another replica holds the sync lease/;
  let extended = false;
  // A process that has said nothing yet has not reached the hold: on a loaded machine (load 17 on 2 cores) two
  // Node startups (bin/syncline.js, then its engine child) took over 25 s. Silence is watched up to 90 s, so a
  // slow start is not judged as a second engine that neither ran nor refused; a hang still is.
  const silentUntil = Date.now() + 90_000;
  const watching = () =>
    Date.now() < deadline || (product.output().trim() === '' && Date.now() < silentUntil);
  while (!product.exited() && watching() && !running.test(product.output())) {
    const wait = waiting.exec(product.output());
    if (wait !== null && !extended) {
      extended = true;
      deadline = Math.max(deadline, Date.now() + (Number(wait[1] ?? 12) + 10) * 1000);
    }
    await sleep(50);
  }
  if (command === 'sync --once' && running.test(product.output())) {
    // Let it finish its pass (what a real operator's `sync --once` would do), bounded by the watch.
    await Promise.race([product.exit, sleep(Math.max(0, deadline - Date.now()))]);
  }
  const ran = running.test(product.output());
  await stopProcess(product, 12_000);
  const output = product.output();
  return {
    command,
    refused: /ENGINE_ALREADY_RUNNING/.test(output),
    ran,
    exitCode: await product.exit,
    output,
  };
}

/** A process of this seed still alive on the machine, found through /proc. */
export interface LeftoverProcess {
  readonly pid: number;
  readonly commandLine: string;
}

/** Every live (non-zombie) process whose environment carries this seed's marker. Linux only. */
export function processesOfRun(runId: string): LeftoverProcess[] {
  const marker = `${runMarkerVariable}=${runId}\0`;
  const found: LeftoverProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environment = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!environment.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue;
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), commandLine });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Waits until no process of the run is left, up to `timeoutMs`; returns the ones still there. */
export async function leftoverProcesses(runId: string, timeoutMs: number): Promise<LeftoverProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesOfRun(runId);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(200);
  }
}

/** Ends leftover processes the harness itself started (by pid, after the check recorded them). */
export async function killLeftovers(left: readonly LeftoverProcess[]): Promise<void> {
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (left.length > 0) await sleep(200);
}

/** `/proc/<pid>/stat`'s parent and process group (after the command name, which may hold spaces). */
function statOf(pid: number): { ppid: number; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** The pids of the process's live children (the engine child of `bin/syncline.js`). Linux only. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => statOf(candidate)?.ppid === pid);
}

/**
 * SIGKILL of a `syncline start` as a machine failure or the OOM killer of a container would do it: the engine
 * child first — it runs in a process group of its own (bin/syncline.js), killed whole — then the binary. Killing
 * only the binary would let the child notice and stop at a safe boundary, releasing its leases at once: a
 * hand-over, not the takeover of an expired lease this is meant to exercise. Only a group whose leader is the
 * child is killed as a group, never the harness's own.
 */
export async function killWhole(product: ProductProcess): Promise<void> {
  for (const child of childrenOf(product.pid)) {
    const ownGroup = statOf(child)?.pgrp === child && child !== process.pid;
    try {
      process.kill(ownGroup ? -child : child, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  product.child.kill('SIGKILL');
  await product.exit;
}
