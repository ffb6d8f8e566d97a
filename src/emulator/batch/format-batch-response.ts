import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { HttpMessageResponse } from './http-message.ts';

/** One answered request, with the Content-ID it was sent with (echoed back). */
export interface AnsweredRequest {
  readonly contentId?: string | undefined;
  readonly response: HttpMessageResponse;
}

/** A top-level part of the batch response. */
export type BatchResponseItem =
  | ({ readonly kind: 'response' } & AnsweredRequest)
  | { readonly kind: 'changeset'; readonly responses: readonly AnsweredRequest[] };

const crlf = '\r\n';

/**
 * Frames batch results exactly as Dataverse does (reference §4): server-made `batchresponse_<guid>` and
 * `changesetresponse_<guid>` boundaries, CRLF line ends, a blank line after the part headers and after the
 * inner HTTP headers, `Content-ID` echoed on changeset members.
 */
export function formatBatchResponse(
  items: readonly BatchResponseItem[],
  newId: () => string = randomUUID,
): { contentType: string; body: string } {
  const boundary = `batchresponse_${newId()}`;
  let body = '';
  for (const item of items) {
    body += `--${boundary}${crlf}`;
    if (item.kind === 'response') {
      body += formatPart(item);
      continue;
    }
    const changeset = `changesetresponse_${newId()}`;
    body += `Content-Type: multipart/mixed; boundary=${changeset}${crlf}${crlf}`;
    for (const answered of item.responses) body += `--${changeset}${crlf}${formatPart(answered)}`;
    body += `--${changeset}--${crlf}`;
  }
  body += `--${boundary}--${crlf}`;
  return { contentType: `multipart/mixed; boundary=${boundary}`, body };
}

function formatPart({ contentId, response }: AnsweredRequest): string {
  let part = `Content-Type: application/http${crlf}Content-Transfer-Encoding: binary${crlf}`;
  if (contentId !== undefined) part += `Content-ID: ${contentId}${crlf}`;
  part += crlf;
  part += `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}${crlf}`;
  for (const [name, value] of Object.entries(partHeaders(response.headers)))
    part += `${name}: ${value}${crlf}`;
  return `${part}${crlf}${response.body}${crlf}`;
}

/** Connection-level headers belong to the outer response only. */
const droppedHeaders = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'date']);

const canonicalNames: Record<string, string> = {
  'odata-version': 'OData-Version',
  'odata-entityid': 'OData-EntityId',
  etag: 'ETag',
  req_id: 'REQ_ID',
  'www-authenticate': 'WWW-Authenticate',
};

function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return (
    canonicalNames[lower] ??
    lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
  );
}

/** Inner headers as Dataverse writes them in a batch: canonical names, `Location` beside `OData-EntityId`,
 * and JSON parts marked `odata.streaming=true`. */
function partHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!droppedHeaders.has(name.toLowerCase())) out[canonicalName(name)] = value;
  }
  const contentType = out['Content-Type'];
  if (
    contentType !== undefined &&
    /odata\.metadata=minimal/.test(contentType) &&
    !/odata\.streaming/.test(contentType)
  ) {
    out['Content-Type'] = `${contentType}; odata.streaming=true`;
  }
  if (out['OData-EntityId'] !== undefined && out['Location'] === undefined) {
    // Dataverse's batch parts carry both (reference §4 example).
    const { 'OData-EntityId': entityId, ...rest } = out;
    return { ...rest, Location: entityId, 'OData-EntityId': entityId };
  }
  return out;
}
