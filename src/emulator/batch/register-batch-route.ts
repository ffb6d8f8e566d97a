import type { FastifyInstance } from 'fastify';
import { executeBatch } from './execute-batch.ts';
import { requestOrigin, sendMessage, toMessageRequest } from './fastify-adapter.ts';
import type { HttpMessageResponse } from './http-message.ts';

/** What the batch route needs from the emulator core. */
export interface BatchHost {
  readonly app: FastifyInstance;
  /** Authenticates the outer request; `undefined` → the core's 401 answer. */
  authenticate(authorization: string | undefined): { readonly userId: string } | undefined;
  unauthorized(origin: string): HttpMessageResponse;
  dispatch(request: {
    method: string;
    url: string;
    headers: Readonly<Record<string, string>>;
    body: string;
    origin: string;
  }): Promise<HttpMessageResponse & { usage: { rowsRead: number; rowsWritten: number } }>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

/** Rows and operations a `$batch` used, for the cost model (a batch is one request, its time counts in full). */
export interface BatchUsage {
  rowsRead: number;
  rowsWritten: number;
  operations: number;
}

/**
 * `POST /api/data/v9.2/$batch` (reference §4). Inner requests run through the core's `dispatch` with the
 * outer request's origin, so links and `OData-EntityId`s use the client's scheme, host and port.
 */
export function registerBatchRoute(
  host: BatchHost,
  onUsage: (request: object, usage: BatchUsage) => void,
): void {
  host.app.post('/api/data/v9.2/$batch', async (request, reply) => {
    const origin = requestOrigin(request);
    const message = toMessageRequest(request);
    if (host.authenticate(message.headers['authorization']) === undefined) {
      return sendMessage(reply, host.unauthorized(origin));
    }
    const usage: BatchUsage = { rowsRead: 0, rowsWritten: 0, operations: 0 };
    const response = await executeBatch(message, {
      dispatch: async (inner) => {
        const answered = await host.dispatch({ ...inner, origin });
        usage.rowsRead += answered.usage.rowsRead;
        usage.rowsWritten += answered.usage.rowsWritten;
        usage.operations += 1;
        return answered;
      },
      transaction: (fn) => host.transaction(fn),
    });
    onUsage(request, usage);
    return sendMessage(reply, response);
  });
}
