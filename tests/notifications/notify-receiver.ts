import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../helpers/wait-for.ts';

/** One POST as the receiver got it: the raw body, as a signature covers it. */
export interface ReceivedPost {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/**
 * A webhook receiver (Slack, Teams or a customer's endpoint stand-in) on a real port: records every POST and
 * answers what `answer` says for it (200 by default). `port` 0 takes a free one. Its path looks like a Slack webhook's — a credential —
 * so tests can check that it never leaks.
 */
export async function startNotifyReceiver(
  answer: (post: ReceivedPost, index: number) => Answer = () => ({ status: 200 }),
  port = 0,
) {
  const posts: ReceivedPost[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const post = {
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      posts.push(post);
      const { status, body = '', headers = {} } = answer(post, posts.length - 1);
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const secretPath = '/services/T0CREDENTIAL/B0CREDENTIAL/credentialPathToken';
  return {
    posts,
    port: address.port,
    secretPath,
    url: `http://127.0.0.1:${address.port}${secretPath}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Checks `X-Syncline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (interfaces.md §2) the
 * way a receiver would — independently of Syncline's code — and that the timestamp is fresh.
 */
export function assertValidSignature(post: ReceivedPost, secret: string): void {
  const header = post.headers['x-syncline-signature'];
  assert.equal(typeof header, 'string', 'the POST is signed');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  assert.ok(match, `signature header shape: ${String(header)}`);
  const [, t, v1] = match;
  assert.ok(Math.abs(Number(t) - post.at / 1000) < 60, 'the signed timestamp is now');
  const expected = createHmac('sha256', secret).update(`${t}.${post.body}`).digest();
  assert.ok(timingSafeEqual(Buffer.from(v1, 'hex'), expected), 'the HMAC matches the body');
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  return waitFor(what, check, timeoutMs);
}
