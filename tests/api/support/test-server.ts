import { apiKeyVerifierFromHash, hashApiKey } from '../../../src/api/api-key.ts';
import { buildServer, type ServerOptions } from '../../../src/api/server.ts';
import type { ApiApp } from '../../../src/api/routes/route.ts';
import { silentLogger } from '../../../src/logging/logger.ts';
import type { Store } from '../../../src/store/store.ts';

export const testApiKey = 'sl_test-key-for-the-api-suites';

export const auth = { authorization: `Bearer ${testApiKey}` } as const;

export function buildTestServer(store: Store, options: Partial<ServerOptions> = {}): Promise<ApiApp> {
  return buildServer({
    store,
    logger: silentLogger(),
    apiKey: apiKeyVerifierFromHash(hashApiKey(testApiKey)),
    ...options,
  });
}

/** A JSON request with the test key, for `app.inject`. */
export function jsonRequest(method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown) {
  return {
    method,
    url,
    headers: { ...auth, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  } as const;
}
