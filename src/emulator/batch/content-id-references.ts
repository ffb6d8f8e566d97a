import { BatchError } from './batch-error.ts';

/** The service root every batch request line is resolved against. */
export const serviceRootPath = '/api/data/v9.2/';

/** What a changeset member's `Content-ID` stands for: the entity it created or addressed. */
export interface EntityReference {
  /** The absolute `OData-EntityId`, e.g. `http://127.0.0.1:8081/api/data/v9.2/contacts(<guid>)`. */
  readonly absoluteUrl: string;
  /** The same as a path, e.g. `/api/data/v9.2/contacts(<guid>)`. */
  readonly path: string;
}

/** Content-ID → entity, scoped to one changeset (dynamics-web-api restarts numbering per changeset). */
export type ContentIdScope = ReadonlyMap<string, EntityReference>;

const referencePattern = /^\$([^/?(]+)(.*)$/s;

function lookUp(id: string, scope: ContentIdScope): EntityReference {
  const entity = scope.get(id);
  if (entity === undefined) {
    // The service's exact text (reference §4).
    throw new BatchError(`Content-ID Reference: '$${id}' does not exist in the batch context.`);
  }
  return entity;
}

/**
 * Turns a request-line target into the path-and-query the emulator routes: absolute URLs lose their origin,
 * service-relative targets (`contacts(…)`) get the service root, and `$n…` is replaced by the entity that
 * request n of the same changeset created.
 */
export function resolveRequestUrl(url: string, scope: ContentIdScope): string {
  const reference = referencePattern.exec(url);
  if (reference !== null) return lookUp(reference[1], scope).path + reference[2];
  if (/^https?:\/\//i.test(url)) {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  }
  return url.startsWith('/') ? url : serviceRootPath + url;
}

/**
 * Replaces `$n` values of `…@odata.bind` and `@odata.id` properties in a JSON body with the entity's absolute
 * URL (reference §3.4 allows absolute URLs there). Bodies that are not JSON objects are returned unchanged.
 */
export function resolveBodyReferences(body: string, scope: ContentIdScope): string {
  if (!body.includes('"$')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body; // the handler reports malformed JSON itself
  }
  let changed = false;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      const isReferenceKey = key.endsWith('@odata.bind') || key === '@odata.id';
      const reference = typeof child === 'string' && isReferenceKey ? referencePattern.exec(child) : null;
      if (reference !== null) {
        record[key] = lookUp(reference[1], scope).absoluteUrl + reference[2];
        changed = true;
      } else {
        visit(child);
      }
    }
  };
  visit(parsed);
  return changed ? JSON.stringify(parsed) : body;
}

/** The entity a successful response created or addressed, from `OData-EntityId` (or `Location`). */
export function entityReferenceOf(headers: Readonly<Record<string, string>>): EntityReference | undefined {
  const value = headerValue(headers, 'odata-entityid') ?? headerValue(headers, 'location');
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    return { absoluteUrl: value, path: parsed.pathname };
  } catch {
    return undefined;
  }
}

/** Case-insensitive header lookup (the core may send canonical or lower-case names). */
export function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
