import { getMultipartBoundary, MultipartParseError, parseMultipart } from '@remix-run/multipart-parser';
import { BatchError, maxBatchRequests } from './batch-error.ts';

/** One request inside a `$batch` body, as written by the client (URL not yet resolved). */
export interface BatchRequestPart {
  /** The part's `Content-ID` (changeset members use it for `$n` references). */
  readonly contentId: string | undefined;
  readonly method: string;
  /** The request-line target: absolute URL, `/api/data/v9.2/…`, service-relative, or `$n`-prefixed. */
  readonly url: string;
  /** The inner request's headers, names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A top-level part of a batch: a single request, or an atomic changeset of requests. */
export type BatchItem =
  | { readonly kind: 'request'; readonly request: BatchRequestPart }
  | { readonly kind: 'changeset'; readonly requests: readonly BatchRequestPart[] };

/**
 * Parses a `multipart/mixed` `$batch` body (reference §4) into requests and changesets.
 * Throws `BatchError` (400, nothing executed) for anything that cannot be a Dataverse batch.
 */
export function parseBatch(contentType: string | undefined, body: string): BatchItem[] {
  const boundary = multipartBoundary(contentType, 'The $batch request');
  const items: BatchItem[] = [];
  let requestCount = 0;
  for (const part of splitMultipart(body, boundary)) {
    const partType = part.headers['content-type'] ?? 'application/http';
    if (isMultipartMixed(partType)) {
      const changesetBoundary = multipartBoundary(partType, 'A changeset');
      const requests = splitMultipart(part.text, changesetBoundary).map((inner) => {
        if (isMultipartMixed(inner.headers['content-type'] ?? '')) {
          throw new BatchError('A changeset cannot contain another changeset or batch.');
        }
        const request = parseRequestPart(inner);
        if (request.method === 'GET') {
          // Microsoft.OData.Core's wording, which Dataverse's batch reader surfaces.
          throw new BatchError(
            "An invalid HTTP method 'GET' was detected for a request in a change set. Requests in change sets " +
              "only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'.",
          );
        }
        return request;
      });
      const ids = requests.flatMap((r) => (r.contentId === undefined ? [] : [r.contentId]));
      const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
      if (repeated !== undefined) {
        throw new BatchError(`The Content-ID '${repeated}' is used more than once in the same change set.`);
      }
      requestCount += requests.length;
      items.push({ kind: 'changeset', requests });
    } else {
      requestCount += 1;
      items.push({ kind: 'request', request: parseRequestPart(part) });
    }
  }
  if (requestCount > maxBatchRequests) {
    throw new BatchError(
      `The batch contains ${requestCount} requests; a batch can contain at most ${maxBatchRequests} requests.`,
    );
  }
  return items;
}

interface MimePart {
  readonly headers: { readonly [name: string]: string | undefined };
  readonly text: string;
}

function isMultipartMixed(contentType: string): boolean {
  return /^\s*multipart\/mixed\s*(;|$)/i.test(contentType);
}

function multipartBoundary(contentType: string | undefined, what: string): string {
  const boundary =
    contentType !== undefined && isMultipartMixed(contentType) ? getMultipartBoundary(contentType) : null;
  if (boundary === null || boundary.trim() === '') {
    throw new BatchError(
      `${what} must have the content type multipart/mixed with a boundary parameter; got '${contentType ?? ''}'.`,
    );
  }
  return boundary.trim();
}

/** Generous per-part limits: Dataverse caps the count (1,000), which `parseBatch` reports itself. */
const parserLimits = {
  maxParts: 20 * maxBatchRequests,
  maxHeaderSize: 64 * 1024,
  maxFileSize: 64 * 1024 * 1024,
  maxTotalSize: 256 * 1024 * 1024,
};

/**
 * Splits a multipart body with a MIME parser. Two leniencies come first because real clients need them:
 * `dynamics-web-api` (older versions) writes bare LF line endings, which RFC 2046 parsers reject, so every
 * line ending is normalised to CRLF (harmless for the JSON bodies a batch carries); and text before the first
 * delimiter (a preamble, e.g. the leading CRLF dynamics-web-api 2.x sends) is dropped.
 */
function splitMultipart(body: string, boundary: string): MimePart[] {
  const normalized = body.replace(/\r?\n/g, '\r\n');
  const delimiter = `--${boundary}`;
  let start = 0;
  if (!normalized.startsWith(delimiter)) {
    const at = normalized.indexOf(`\r\n${delimiter}`);
    if (at < 0) {
      throw new BatchError(`The multipart body does not contain the boundary delimiter '${delimiter}'.`);
    }
    start = at + 2;
  }
  try {
    const parts = parseMultipart(Buffer.from(normalized.slice(start), 'utf8'), { boundary, ...parserLimits });
    return Array.from(parts, (part) => ({ headers: part.headers, text: part.text }));
  } catch (error) {
    if (error instanceof MultipartParseError) {
      throw new BatchError(`The $batch body is not valid multipart/mixed: ${error.message}.`);
    }
    throw error;
  }
}

// Lenient about unencoded spaces in the target (some hand-written batches have them).
const requestLinePattern = /^([A-Za-z]+)\s+(\S.*?)(?:\s+HTTP\/\d(?:\.\d)?)?\s*$/;
const headerLinePattern = /^([^:\s]+)\s*:\s*(.*)$/;

/** Parses an `application/http` part: request line, headers, blank line, body. */
function parseRequestPart(part: MimePart): BatchRequestPart {
  const text = part.text.replace(/^(\r\n)+/, '');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text.replace(/(\r\n)+$/, '') : text.slice(0, headEnd);
  const body = headEnd < 0 ? '' : text.slice(headEnd + 4).replace(/\s+$/, '');
  const [requestLine = '', ...headerLines] = head.split('\r\n');
  const match = requestLinePattern.exec(requestLine);
  if (match === null) {
    throw new BatchError(`The batch part's request line '${requestLine}' is not '<METHOD> <URL> HTTP/1.1'.`);
  }
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const header = headerLinePattern.exec(line);
    if (header === null) throw new BatchError(`The batch part has a malformed header line '${line}'.`);
    headers[header[1].toLowerCase()] = header[2].trim();
  }
  return {
    contentId: part.headers['content-id']?.trim() ?? headers['content-id'],
    method: match[1].toUpperCase(),
    url: match[2],
    headers,
    body,
  };
}
