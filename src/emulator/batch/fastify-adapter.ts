import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpMessageRequest, HttpMessageResponse } from './http-message.ts';

/** The protocol modules' view of a Fastify request: lower-case single-valued headers, text body. */
export function toMessageRequest(request: FastifyRequest): HttpMessageRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    method: request.method,
    url: request.raw.url ?? '/',
    headers,
    body: typeof request.body === 'string' ? request.body : '',
  };
}

/** `<scheme>://<host[:port]>` as the client addressed the emulator (links and metadata are built on it). */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

export function sendMessage(reply: FastifyReply, response: HttpMessageResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  // A Buffer keeps Fastify from rewriting the Content-Type (it would add a charset to the multipart type).
  return reply.send(response.body === '' ? undefined : Buffer.from(response.body));
}
