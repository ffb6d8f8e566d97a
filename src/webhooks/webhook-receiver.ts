import { createHash, timingSafeEqual } from 'node:crypto';
import { parseRemoteExecutionContext, type WebhookNotification } from './webhook-notification.ts';

/** The path Dataverse posts to (`syncline webhooks install` registers `$SYNCLINE_PUBLIC_URL` + this). */
export const webhookPath = '/api/v1/webhooks/dataverse';

/** What the HTTP route needs (interfaces.md §4, B2.8): check the key, then queue what a body names. */
export interface WebhookReceiver {
  /** Whether `key` is the webhook secret; compared in constant time, whatever its length. */
  authenticate(key: string | undefined): boolean;
  /**
   * Queues the records a `RemoteExecutionContext` names and returns at once: how many were queued (0 for an
   * entity Syncline does not sync, or the sync user's own write), or undefined when the body is not a context.
   */
  receive(body: unknown): { readonly queued: number } | undefined;
}

/** Where accepted notifications go: the worker's queue. Returns how many records were queued. */
export type NotificationSink = (notification: WebhookNotification) => number;

export function createWebhookReceiver(secret: string, sink: NotificationSink): WebhookReceiver {
  // Digests of equal length, so the comparison's time tells nothing about the secret, its length included.
  const expected = digest(secret);
  return {
    authenticate: (key) => key !== undefined && key !== '' && timingSafeEqual(digest(key), expected),
    receive(body) {
      const notification = parseRemoteExecutionContext(body);
      return notification === undefined ? undefined : { queued: sink(notification) };
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
