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
