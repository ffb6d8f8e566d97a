import { Type } from 'typebox';
import type { ErrorCode } from '../../errors/codes.ts';
import { SynclineError } from '../../errors/syncline-error.ts';
import type { MigrationStatus, SchemaStore } from '../../store/schema-store.ts';
import { ErrorBody } from '../contracts/error-body.ts';
import type { RouteRegistration } from './route.ts';

/**
 * How long the database may take to answer before the replica counts as not ready: orchestrators give a probe
 * a few seconds, and a hung connection must answer 503, not leave the probe to time out unanswered.
 */
const checkTimeoutMs = 5_000;

const Ready = Type.Object(
  {
    status: Type.Literal('ready'),
    migration: Type.Union([Type.String(), Type.Null()], {
      description: 'The newest migration applied to the database.',
    }),
  },
  { title: 'Ready' },
);

/**
 * `GET /ready` (interfaces.md §4): readiness for orchestrators and load balancers, beside `/health`'s liveness.
 * Ready = the database answers a query now and has every migration of this version. No API key: a probe has
 * none. So the answer carries a fixed message per cause, never the driver's text (which names hosts and
 * ports); the log has it, once per change of state rather than on every probe.
 */
export const registerGetReadyRoute: RouteRegistration = (app, dependencies) => {
  let last: ErrorCode | 'ready' = 'ready';
  app.get(
    '/ready',
    {
      config: { public: true },
      schema: {
        summary: 'Readiness check: the database answers and is migrated (no API key needed)',
        tags: ['system'],
        security: [],
        response: { 200: Ready, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await checkReadiness(dependencies.schema);
      const state = outcome instanceof SynclineError ? outcome.code : 'ready';
      if (state !== last) {
        if (outcome instanceof SynclineError) {
          request.log.warn({ err: outcome.cause ?? outcome, code: outcome.code }, 'not ready');
        } else request.log.info('ready again');
        last = state;
      }
      if (outcome instanceof SynclineError) return reply.code(503).send(outcome.toBody());
      return { status: 'ready' as const, migration: outcome.latest ?? null };
    },
  );
};

async function checkReadiness(schema: SchemaStore): Promise<MigrationStatus | SynclineError> {
  let status: MigrationStatus;
  try {
    status = await withTimeout(schema.migrationStatus(), checkTimeoutMs);
  } catch (error) {
    // Whatever failed (unreachable, closed, timed out, a driver error): this replica cannot serve from it.
    return new SynclineError(
      'STORE_UNAVAILABLE',
      'The database did not answer the readiness query; the server log has the reason.',
      { cause: error },
    );
  }
  if (status.pending.length > 0) {
    return new SynclineError(
      'MIGRATIONS_PENDING',
      `The database lacks ${status.pending.length} migration(s) of this version: run \`syncline migrate\`.`,
      { details: { pending: status.pending } },
    );
  }
  return status;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
