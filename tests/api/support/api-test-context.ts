import type { InjectOptions } from 'fastify';
import type { ApiApp } from '../../../src/api/routes/route.ts';
import type { Store } from '../../../src/store/store.ts';
import { auth, buildTestServer, jsonRequest } from './test-server.ts';

/** A migrated, empty store of one backend, and how to get rid of it (drop the schema, delete the file). */
export interface DisposableStore {
  readonly store: Store;
  dispose(): Promise<void>;
}

export type OpenStore = () => Promise<DisposableStore>;

export interface ApiResponse {
  readonly status: number;
  readonly body: any;
}

/** The API over a real store, driven in-process; `close()` closes the server and disposes of the store. */
export interface ApiTestContext {
  readonly app: ApiApp;
  readonly store: Store;
  get(url: string): Promise<ApiResponse>;
  post(url: string, body: unknown): Promise<ApiResponse>;
  patch(url: string, body: unknown): Promise<ApiResponse>;
  delete(url: string): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function openApiTestContext(openStore: OpenStore): Promise<ApiTestContext> {
  const disposable = await openStore();
  const app = await buildTestServer(disposable.store);
  const send = async (request: InjectOptions): Promise<ApiResponse> => {
    const response = await app.inject(request);
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
  };
  return {
    app,
    store: disposable.store,
    get: (url) => send({ method: 'GET', url, headers: auth }),
    post: (url, body) => send(jsonRequest('POST', url, body)),
    patch: (url, body) => send(jsonRequest('PATCH', url, body)),
    delete: (url) => send({ method: 'DELETE', url, headers: auth }),
    close: async () => {
      await app.close();
      await disposable.dispose();
    },
  };
}
