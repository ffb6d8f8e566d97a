import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { bearerApi, type ApiResponse } from '../helpers/bearer-api.ts';

const root = join(import.meta.dirname, '..', '..');

/** The API key every spawned product uses. */
export const processApiKey = 'syncline-process-test-key-0123456789';

/** `syncline start` as its own process (bin/syncline.js, with its engine child), and its HTTP API. */
export interface SynclineProcess {
  /** Base URL of the API. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  api<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** SIGTERM, then waits for the exit (SIGKILL after 30 s). */
  stop(): Promise<void>;
}

export function databaseUrlOf(config: DatabaseConfig): string {
  return config.kind === 'sqlite' ? `sqlite:${config.path}` : config.url;
}

/**
 * Starts `syncline start` against a CRM (the emulator process) on `database` and resolves once its API listens.
 * `env` adds or overrides settings (SYNCLINE_SYNC_INTERVAL, SYNCLINE_PUSH_DELAY_MS…); the port is chosen by the
 * system unless `SYNCLINE_PORT` is given.
 */
export async function startSynclineProcess(options: {
  readonly database: DatabaseConfig;
  readonly crmUrl: string;
  readonly token?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** A command the binary runs under, e.g. `['ip', 'netns', 'exec', name]` (it must exec its arguments). */
  readonly wrapper?: readonly string[];
}): Promise<SynclineProcess> {
  const command = [...(options.wrapper ?? []), process.execPath, 'bin/syncline.js', 'start'];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: root,
    env: {
      ...process.env,
      SYNCLINE_DB: databaseUrlOf(options.database),
      SYNCLINE_PORT: '0',
      SYNCLINE_DYNAMICS_URL: options.crmUrl,
      SYNCLINE_DYNAMICS_TOKEN: options.token ?? 'emulator-sync-token',
      SYNCLINE_API_KEY: processApiKey,
      SYNCLINE_LOG_LEVEL: 'info',
      SYNCLINE_LOG_FORMAT: 'json',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`syncline start exited with ${code} before listening:\n${text}`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      text += `${line}\n`;
      const match = /Syncline API listening on (http:\/\/[^\s"]+)/.exec(line);
      if (match) {
        child.off('exit', onExit);
        resolve(match[1]);
      }
    });
  });
  const exited = once(child, 'exit');
  return {
    url,
    child,
    output: () => text,
    api: bearerApi(url, processApiKey),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
