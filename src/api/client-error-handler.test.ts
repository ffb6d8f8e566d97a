import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import type { ConnectionError } from 'fastify';
import { silentLogger } from '../logging/logger.ts';
import { createClientErrorHandler } from './client-error-handler.ts';

/** What a client reads when the handler answers `error` on the server side of a real connection. */
async function answerTo(error: Partial<ConnectionError>): Promise<string> {
  const handler = createClientErrorHandler(silentLogger());
  const server = createServer((socket: Socket) => handler(error as ConnectionError, socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<string>((resolve) => {
      let text = '';
      const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
      client.on('data', (chunk) => (text += String(chunk)));
      client.on('close', () => resolve(text));
      client.on('error', () => client.destroy());
    });
  } finally {
    server.close();
  }
}

// The other parser errors are driven over real HTTP in tests/api/request-limits.test.ts; a request timeout takes
// Node's timers (headersTimeout, checked every 30 s), so the handler gets the error Node would give it.
test('a request that timed out → 408 REQUEST_TIMEOUT in the error shape, and the connection closes', async () => {
  const text = await answerTo({ code: 'ERR_HTTP_REQUEST_TIMEOUT', message: 'Request timeout' });
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(text, /\r\nContent-Type: application\/json; charset=utf-8\r\n/);
  assert.match(text, /\r\nConnection: close\r\n/);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  assert.equal(body.error.code, 'REQUEST_TIMEOUT');
});

test('a connection the client reset gets no answer', async () => {
  assert.equal(await answerTo({ code: 'ECONNRESET', message: 'read ECONNRESET' }), '');
});
