/**
 * The framework-free HTTP shapes the protocol modules ($batch, limits, tokens) exchange with the emulator's
 * server. Keeping them plain lets each module be unit-tested without a socket.
 */

/** A request as the emulator's handlers see it. Header names are lower-case. */
export interface HttpMessageRequest {
  readonly method: string;
  /** Path and query (`/api/data/v9.2/contacts?$top=1`), or an absolute URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body text; `''` when there is none. */
  readonly body: string;
}

/** A response to write back. Header names keep the case they should be sent with. */
export interface HttpMessageResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The JSON content type Dataverse answers with (reference §0). */
export const odataJsonContentType = 'application/json; odata.metadata=minimal';

/** A Dataverse-shaped error response: `{"error":{"code":"0x…","message":"…"}}` (reference §5). */
export function dataverseErrorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpMessageResponse {
  return {
    status,
    headers: { 'Content-Type': odataJsonContentType, 'OData-Version': '4.0', ...headers },
    body: JSON.stringify({ error: { code, message } }),
  };
}
