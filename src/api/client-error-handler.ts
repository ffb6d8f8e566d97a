import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import type { Logger } from '../logging/logger.ts';
import { SynclineError } from '../errors/syncline-error.ts';
import { maxUrlLength, urlTooLong } from './request-limits.ts';

/** How long a connection we answered stays open to drain what the client still sends. */
const drainMs = 5000;

const reasons: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers requests Node's HTTP parser refused before Fastify saw them — headers over `maxHeaderSize`, a URL too
 * long to parse, a request that timed out, bytes that are not HTTP — in the API's error shape
 * `{"error":{code,message}}` (interfaces.md §4) instead of Fastify's default `{"error":"Request Header Fields Too
 * Large",…}`. Nothing was routed or authenticated, so the answer says nothing but what was wrong.
 *
 * For Fastify's `clientErrorHandler` option.
 */
export function createClientErrorHandler(logger: Logger): (error: ConnectionError, socket: Socket) => void {
  return (error, socket) => {
    // The parser keeps reading after we answered and reports every later chunk too: one answer per connection.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      if (!socket.writableEnded) socket.destroy();
      return;
    }
    const answer = toSynclineError(error);
    logger.debug({ code: answer.code, parserError: error.code }, 'request refused before routing');
    const body = JSON.stringify(answer.toBody());
    socket.end(
      [
        `HTTP/1.1 ${answer.status} ${reasons[answer.status] ?? 'Bad Request'}`,
        'Content-Type: application/json; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
    // Closing with unread bytes in the receive buffer makes the kernel reset the connection, and a reset can
    // discard the answer before the client has read it: keep reading (and dropping) until the client is done,
    // for a bounded time.
    socket.resume();
    socket.setTimeout(drainMs, () => socket.destroy());
  };
}

function toSynclineError(error: ConnectionError): SynclineError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      // Node hands a Buffer; Fastify's type describes its JSON form.
      return overflowError(error.rawPacket as unknown as Buffer | undefined);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SynclineError('REQUEST_TIMEOUT', 'The request was not received completely in time.');
    default:
      return new SynclineError(
        'BAD_REQUEST',
        'The request is not valid HTTP/1.1 (request line, headers or body framing).',
      );
  }
}

/**
 * The parser counts the request line and the headers against one limit. When the packet it failed on starts
 * with the request line, the request line's length tells which part is too long; a later packet (a request that
 * arrived in several reads) does not show it, and the answer names both.
 */
function overflowError(packet: Buffer | undefined): SynclineError {
  const limit = `${Math.round(maxHeaderSize / 1024)} KB`;
  const head = packet?.subarray(0, maxUrlLength + 64).toString('latin1') ?? '';
  const requestLine = /^[A-Z]+ \S/.exec(head) === null ? undefined : head.split('\r\n', 1)[0]!;
  if (requestLine !== undefined && (requestLine.length > maxUrlLength || !head.includes('\r\n'))) {
    return urlTooLong();
  }
  if (requestLine !== undefined) {
    return new SynclineError(
      'HEADERS_TOO_LARGE',
      `The request headers are too large: with the request line they exceed the ${limit} limit.`,
    );
  }
  return new SynclineError(
    'HEADERS_TOO_LARGE',
    `The request line and headers together exceed the ${limit} limit: shorten the URL or the headers.`,
  );
}
