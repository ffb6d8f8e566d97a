/**
 * A CRM record as the engine sees it, independent of the wire format: logical names, lookups as
 * `LookupValue`, option sets as their integer values. The connector maps the Web API's JSON to and from it.
 */

/** A lookup value: the referenced row and its entity (from `lookuplogicalname`, or the only target). */
export interface LookupValue {
  readonly id: string;
  readonly entity: string | undefined;
  /** Write only: the `@odata.bind` navigation property when the connector's naming rule does not fit. */
  readonly navigationProperty?: string;
}

export type CrmValue = string | number | boolean | null | LookupValue;

export function isLookupValue(value: unknown): value is LookupValue {
  return typeof value === 'object' && value !== null && typeof (value as LookupValue).id === 'string';
}

export interface CrmRecord {
  readonly id: string;
  /** Weak ETag `W/"<version>"`; send it back in `WriteOperation.etag`. */
  readonly etag: string | undefined;
  /** By logical name; lookups as `LookupValue`, option sets as integers, multi-select as `"1,2"`. */
  readonly values: Readonly<Record<string, CrmValue>>;
}

/**
 * The row version inside a Dataverse ETag (`W/"1234567"`: the record's `versionnumber`, which grows with every
 * committed write of the organisation), or undefined when the ETag is absent or of another shape.
 */
export function versionOfEtag(etag: string | null | undefined): bigint | undefined {
  const match = etag === null || etag === undefined ? null : /^W\/"(\d{1,30})"$/.exec(etag);
  return match === null ? undefined : BigInt(match[1]!);
}

/**
 * Whether `candidate` is an older version of the record than `known` (B2.8): the record was read before a
 * change this database has already applied or written, e.g. a pass's page read before a webhook's re-read, or
 * before a push. Unknown versions on either side are never older, so such a record is applied as before.
 */
export function isOlderVersion(
  candidate: string | null | undefined,
  known: string | null | undefined,
): boolean {
  const a = versionOfEtag(candidate);
  const b = versionOfEtag(known);
  return a !== undefined && b !== undefined && a < b;
}
