import type { FastifyRequest } from 'fastify';
import { SynclineError } from '../../errors/syncline-error.ts';
import { webhookPath } from '../../webhooks/webhook-receiver.ts';
import {
  DataverseWebhookAccepted,
  DataverseWebhookBody,
  DataverseWebhookQuery,
} from '../contracts/dataverse-webhook.ts';
import { ErrorBody } from '../contracts/error-body.ts';
import type { RouteRegistration } from './route.ts';

/** Dataverse trims a context above 256 KB (reference §11); a larger body is not Dataverse's. */
export const webhookBodyLimit = 512 * 1024;

/** The header a proxy or a test may carry the key in instead of `?code=`. */
const keyHeader = 'x-syncline-webhook-key';

/**
 * `POST /api/v1/webhooks/dataverse` (interfaces.md §4, B2.8): Dataverse's webhook. Authenticated by the webhook
 * key, not the API key — checked before the body is even read, so a forged or keyless call costs nothing and
 * queues nothing — then answered 202 at once; the records it names are read again and applied by the worker.
 */
export const registerWebhookPostDataverseRoute: RouteRegistration = (app, dependencies) => {
  app.post(
    webhookPath,
    {
      config: { public: true },
      bodyLimit: webhookBodyLimit,
      onRequest: async (request) => {
        const receiver = dependencies.webhooks;
        if (receiver === undefined) {
          throw new SynclineError(
            'WEBHOOKS_OFF',
            'The webhook receiver is off: SYNCLINE_WEBHOOK_SECRET is not set on this server.',
          );
        }
        if (!receiver.authenticate(keyOf(request))) {
          throw new SynclineError(
            'WEBHOOK_KEY_INVALID',
            `Missing or wrong webhook key: Dataverse sends it as ?code=<key> (or send header ${keyHeader}).`,
          );
        }
      },
      schema: {
        summary: 'Dataverse webhook: which records changed (B2.8); needs the webhook key, not the API key',
        tags: ['webhooks'],
        security: [{ webhookKey: [] }, { webhookKeyHeader: [] }],
        querystring: DataverseWebhookQuery,
        body: DataverseWebhookBody,
        response: {
          202: DataverseWebhookAccepted,
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const accepted = dependencies.webhooks?.receive(request.body);
      if (accepted === undefined) {
        throw new SynclineError('VALIDATION_FAILED', 'The body is not a Dataverse RemoteExecutionContext.');
      }
      return reply.code(202).send(accepted);
    },
  );
};

/** The header wins over the query: a proxy that adds it knows the key better than the URL it forwards. */
function keyOf(request: FastifyRequest): string | undefined {
  const header = request.headers[keyHeader];
  if (typeof header === 'string') return header;
  const code = (request.query as Record<string, unknown> | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
