import { startEmulator } from '../../src/emulator/server.ts';
import type { SeedOptions } from '../../src/emulator/seed/demo-seed.ts';

export const syncToken = 'emulator-sync-token';
export const adminToken = 'emulator-admin-token';

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A running emulator on a free port, with small request helpers; `close()` in `after`. */
export async function openEmulator(seed: SeedOptions = { seed: 'demo' }) {
  const emulator = await startEmulator({ port: 0, seed });
  const api = `${emulator.url}/api/data/v9.2/`;
  const request = async (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<TestResponse> => {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'OData-Version': '4.0',
      ...options.headers,
    };
    if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? syncToken}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    const url = path.startsWith('http')
      ? path
      : path.startsWith('/')
        ? `${emulator.url}${path}`
        : `${api}${path}`;
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    let json: any;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return { emulator, api, request, close: () => emulator.close() };
}

export type EmulatorContext = Awaited<ReturnType<typeof openEmulator>>;

/** Dataverse's error body: `{"error":{"code":"0x…","message":"…"}}` and nothing else. */
export function errorOf(response: TestResponse): { code: string; message: string } {
  const keys = Object.keys(response.json ?? {});
  if (keys.length !== 1 || keys[0] !== 'error')
    throw new Error(`not a Dataverse error body: ${response.text}`);
  return response.json.error;
}

/** Runs a change-tracking initial load (small sets: one page) and returns its delta link. */
export async function initialDeltaLink(ctx: EmulatorContext, set: string, select: string): Promise<string> {
  const page = await ctx.request('GET', `${set}?$select=${select}`, {
    headers: { Prefer: 'odata.track-changes' },
  });
  if (page.status !== 200 || typeof page.json['@odata.deltaLink'] !== 'string')
    throw new Error(`no delta link: ${page.status} ${page.text}`);
  return page.json['@odata.deltaLink'];
}
