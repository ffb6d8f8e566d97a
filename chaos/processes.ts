import { createServer, type AddressInfo } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  output(): string;
  exited(): boolean;
  /** Resolves with the exit code (null after a signal). */
  readonly exit: Promise<number | null>;
}

function spawnProduct(args: readonly string[], env: Record<string, string>): ProductProcess {
  const child = spawn(process.execPath, [binary, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString();
    // Keep the tail only: a long run logs a lot, a violation message needs the last lines.
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      done = true;
      resolve(code);
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

export async function startEmulator(counts: {
  contacts: number;
  leads: number;
  accounts: number;
}): Promise<EmulatorProcess> {
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
    { SYNCLINE_LOG_LEVEL: 'warn' },
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
export async function installWebhooks(env: Record<string, string>): Promise<void> {
  const product = spawnProduct(['webhooks', 'install'], env);
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

export async function startSyncline(env: Record<string, string>): Promise<SynclineProcess> {
  const product = spawnProduct(['start'], env);
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
): Promise<SecondEngineOutcome> {
  const product = spawnProduct(command === 'start' ? ['start'] : ['sync', '--once'], env);
  let deadline = Date.now() + watchMs;
  const running = /Syncline API listening on|Pass succeeded|"msg":"pass started"/;
  // Once the engine hold says it waits (up to 12 s) for the running engine to stop, the refusal is due 12 s
  // later however long the process took to get there (a loaded machine starts Node slowly): watch that long.
  const waiting = /waiting up to (\d+) s for it to stop/;
  let extended = false;
  while (!product.exited() && Date.now() < deadline && !running.test(product.output())) {
    const wait = waiting.exec(product.output());
    if (wait !== null && !extended) {
      extended = true;
      deadline = Math.max(deadline, Date.now() + (Number(wait[1]) + 10) * 1000);
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
