import type { AnnotationFilter, Preferences } from './prefer-header.ts';

/** Who is calling: resolved from the bearer token (security/identities.ts). */
export interface Caller {
  readonly userId: string;
  readonly isAdmin: boolean;
}

/** A Web API request after authentication, whether it came over HTTP or through `dispatch` ($batch). */
export interface EmulatorRequest {
  readonly method: string;
  /** Decoded resource path below `/api/data/v9.2/`, e.g. `contacts(…)`. */
  readonly path: string;
  /** Raw query string without `?` (kept raw so next/delta links repeat it exactly). */
  readonly query: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  /** `<scheme>://<host[:port]>/api/data/v9.2/` of this request: links are built on it (reference §12). */
  readonly baseUrl: string;
  readonly caller: Caller;
  readonly prefer: Preferences;
  readonly annotations: AnnotationFilter;
}

/** Counters the service-protection cost model charges (limits module). */
export interface Usage {
  rowsRead: number;
  rowsWritten: number;
}

export interface EmulatorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Serialised body ('' for none). */
  readonly body: string;
}

const jsonType = 'application/json; odata.metadata=minimal';

export function jsonResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return { status, headers: { 'Content-Type': jsonType, 'OData-Version': '4.0', ...headers }, body };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, headers: { 'OData-Version': '4.0', ...headers }, body: '' };
}

export function textResponse(status: number, body: string, contentType: string): EmulatorResponse {
  return { status, headers: { 'Content-Type': contentType, 'OData-Version': '4.0' }, body };
}
