import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startApp, type RunningApp } from '../../src/app.ts';
import { builtConsoleRoot } from '../../src/api/static-ui.ts';
import { loadConfig } from '../../src/config/config.ts';
import { emulatorFixtures } from '../../src/emulator/emulator-fixtures.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startNotifyReceiver } from '../notifications/notify-receiver.ts';

/** Debian's chromium (`.ci/run` installs it); Playwright's own browser downloads cannot run here. */
export const chromiumPath = '/usr/bin/chromium';
/**
 * Without it the browser tests are skipped on a developer's machine, never in CI (`.ci/run` installs it, and
 * there a missing browser must fail rather than pass unseen).
 */
export const skipBrowserTests: string | false =
  !existsSync(chromiumPath) && process.env.CI !== 'true' && `no ${chromiumPath}: apt-get install chromium`;
/** Where the tests save a screenshot of every page (git-ignored). */
export const screenshotFolder = join(import.meta.dirname, '..', '..', 'test-output', 'ui');

/** The real product in demo mode (emulator and sync in this process, ports 0), its API key and a browser. */
export interface ConsoleWorld {
  readonly app: RunningApp;
  readonly apiKey: string;
  readonly browser: Browser;
  /** A JSON call to the API with the key. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** A JSON call to the emulator as its administrator (a person working in the CRM, interfaces.md §7). */
  crm<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  if (!existsSync(join(builtConsoleRoot, 'index.html'))) {
    // `npm test` builds it first (pretest); this covers running the folder alone on a fresh clone.
    const { build } = await import('vite');
    await build({
      configFile: join(import.meta.dirname, '..', '..', 'web', 'vite.config.ts'),
      logLevel: 'warn',
    });
  }
  await mkdir(screenshotFolder, { recursive: true });
  const directory = await mkdtemp(join(tmpdir(), 'syncline-console-'));
  const apiKey = `sl_ui-test-${Math.random().toString(36).slice(2)}`;
  // B6.6: notifications are POSTed to a receiver that takes the initial load's and refuses the rest with 500, so
  // the notifications page shows both a sent and a retrying delivery.
  const receiver = await startNotifyReceiver((post) =>
    post.body.includes('"initial-load-done"') ? { status: 204 } : { status: 500, body: 'receiver is busy' },
  );
  const app = await startApp(
    loadConfig({
      SYNCLINE_NOTIFY_URL: receiver.url,
      SYNCLINE_NOTIFY_SECRET: 'console-notify-secret-0123456789',
      SYNCLINE_DB: `sqlite:${join(directory, 'console.db')}`,
      SYNCLINE_PORT: '0',
      SYNCLINE_EMULATOR_PORT: '0',
      SYNCLINE_API_KEY: apiKey,
      SYNCLINE_LOG_LEVEL: 'silent',
      // Short, so "next pass" and passes requested from the page come round quickly.
      SYNCLINE_SYNC_INTERVAL: '2',
    }),
    silentLogger(),
  );
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  } catch (error) {
    await app.stop();
    await receiver.close();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const call =
    (base: string, token: string) =>
    async <T>(method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    };
  const openBrowser = browser;
  return {
    app,
    apiKey,
    browser: openBrowser,
    api: call(app.url, apiKey),
    crm: call(app.emulatorUrl!, emulatorFixtures.defaultAdminToken),
    async stop() {
      await openBrowser.close();
      await app.stop();
      await receiver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 250 ms until it returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  return waitFor(what, check, timeoutMs, 250);
}
