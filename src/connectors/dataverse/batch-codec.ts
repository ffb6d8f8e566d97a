import { randomUUID } from 'node:crypto';
import { parseMultipart } from '@remix-run/multipart-parser';

/**
 * OData 4.0 `$batch` bodies as Dataverse speaks them (protocol reference §4): a `multipart/mixed` request of
 * `application/http` parts, atomic groups wrapped in a changeset; the answer mirrors that structure. The
 * multipart framing is parsed by `@remix-run/multipart-parser`; what is Dataverse-specific — embedded HTTP
 * request/response messages, changesets, Content-ID — is here.
 */
export interface BatchRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute path from the host, e.g. `/api/data/v9.2/contacts(…)`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON when present. */
  readonly body?: unknown;
}

/** A lone request, or requests that must succeed or fail together (a changeset). */
export type BatchGroup =
  | { readonly changeset: false; readonly request: BatchRequest }
  | { readonly changeset: true; readonly requests: readonly BatchRequest[] };

export interface BatchPartResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Echoed `Content-ID` of a changeset member (1-based position inside its changeset). */
  readonly contentId: string | undefined;
}

export type BatchResponseItem =
  | { readonly kind: 'response'; readonly response: BatchPartResponse }
  | { readonly kind: 'changeset'; readonly responses: readonly BatchPartResponse[] };

const CRLF = '\r\n';

export function encodeBatch(
  groups: readonly BatchGroup[],
  boundary = `batch_${randomUUID()}`,
): { contentType: string; body: string } {
  const lines: string[] = [];
  for (const group of groups) {
    lines.push(`--${boundary}`);
    if (!group.changeset) {
      lines.push(...encodePart(group.request, undefined));
      continue;
    }
    const changeset = `changeset_${randomUUID()}`;
    lines.push(`Content-Type: multipart/mixed; boundary=${changeset}`, '');
    group.requests.forEach((request, index) => {
      lines.push(`--${changeset}`, ...encodePart(request, String(index + 1)));
    });
    lines.push(`--${changeset}--`);
  }
  lines.push(`--${boundary}--`, '');
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: lines.join(CRLF) };
}

function encodePart(request: BatchRequest, contentId: string | undefined): string[] {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary'];
  if (contentId !== undefined) lines.push(`Content-ID: ${contentId}`);
  lines.push('', `${request.method} ${request.url} HTTP/1.1`);
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) {
    lines.push('Content-Type: application/json; type=entry', '', JSON.stringify(request.body));
  } else {
    lines.push('');
  }
  return lines;
}

/** Splits a `$batch` response body into its parts, keeping changesets together. */
export function decodeBatchResponse(contentType: string, body: string): BatchResponseItem[] {
  const items: BatchResponseItem[] = [];
  for (const part of splitMultipart(contentType, body)) {
    const partType = part.headers['content-type'] ?? '';
    if (partType.toLowerCase().startsWith('multipart/mixed')) {
      const responses = splitMultipart(partType, part.text).map((inner) =>
        parseHttpResponse(inner.text, inner.headers['content-id']),
      );
      items.push({ kind: 'changeset', responses });
    } else {
      items.push({ kind: 'response', response: parseHttpResponse(part.text, part.headers['content-id']) });
    }
  }
  return items;
}

function splitMultipart(
  contentType: string,
  body: string,
): { headers: Record<string, string>; text: string }[] {
  const boundary = boundaryOf(contentType);
  // Dataverse frames with CRLF; tolerate bare LF (some proxies and hand-written fakes) by normalising.
  const normalised = body.includes(CRLF) ? body : body.replace(/\n/g, CRLF);
  const parts: { headers: Record<string, string>; text: string }[] = [];
  for (const part of parseMultipart(new TextEncoder().encode(normalised), { boundary })) {
    parts.push({ headers: { ...part.headers } as Record<string, string>, text: part.text });
  }
  return parts;
}

export function boundaryOf(contentType: string): string {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!match) throw new Error(`No multipart boundary in Content-Type "${contentType}".`);
  return match[1] ?? match[2];
}

/** Parses an embedded `HTTP/1.1 <status> <reason>` message: status line, headers, blank line, body. */
export function parseHttpResponse(message: string, contentId: string | undefined): BatchPartResponse {
  const text = message.replace(/^(\r?\n)+/, '');
  const headerEnd = /\r?\n\r?\n/.exec(text);
  const head = headerEnd ? text.slice(0, headerEnd.index) : text;
  const body = headerEnd ? text.slice(headerEnd.index + headerEnd[0].length).trim() : '';
  const [statusLine, ...headerLines] = head.split(/\r?\n/);
  const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine);
  if (!status) throw new Error(`Not an HTTP response in batch part: "${statusLine.slice(0, 80)}".`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status[1]), headers, body, contentId: contentId ?? headers['content-id'] };
}
