import { CrmError } from '../crm-error.ts';
import { relativeLink } from './change-cursor.ts';
import type { DataverseHttp } from './dataverse-http.ts';

/**
 * Follows `@odata.nextLink` pages of one query, reading at most one page ahead of the consumer: the next GET
 * runs while the engine applies the current page, yet memory stays bounded by two pages (B2.4's "bounded by
 * page size"). Links are followed as Dataverse gave them ("don't change the @odata.nextLink URL"), re-rooted on
 * the configured organisation URL.
 */
export interface ODataPage {
  readonly value: readonly Record<string, unknown>[];
  readonly nextLink: string | undefined;
  readonly deltaLink: string | undefined;
  /**
   * The body has no `\u` escape, so none of the page's strings can hold a NUL or a lone surrogate: JSON must
   * escape a NUL, and a lone surrogate can only come from an escape (decoding replaces ill-formed UTF-8 with
   * U+FFFD). `toRecord` then skips `sanitizeCrmText` per value; an escaped body is sanitised as before.
   */
  readonly clean: boolean;
}

export interface PageQuery {
  readonly http: DataverseHttp;
  readonly path: string;
  readonly prefer: readonly string[];
  readonly signal?: AbortSignal;
}

export async function fetchPage(query: PageQuery, path: string): Promise<ODataPage> {
  const response = await query.http.send({
    method: 'GET',
    path,
    headers: { prefer: query.prefer.join(',') },
    signal: query.signal,
  });
  let body: { value?: unknown; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown };
  try {
    body = JSON.parse(response.text) as typeof body;
  } catch (error) {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      'Dataverse answered a page that is not JSON.',
      {
        cause: error,
      },
    );
  }
  if (!Array.isArray(body.value)) {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      'Dataverse answered a page without `value`.',
    );
  }
  return {
    value: body.value as Record<string, unknown>[],
    nextLink: typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined,
    deltaLink: typeof body['@odata.deltaLink'] === 'string' ? body['@odata.deltaLink'] : undefined,
    clean: !response.text.includes('\\u'),
  };
}

/**
 * Every page of the query, each turned into `T` by `map` as soon as it is parsed (so the raw rows of a page
 * die before the consumer sees it), the next one prefetched while the consumer works on the current one.
 * `map` runs once per page, in page order.
 */
export async function* readPages<T>(query: PageQuery, map: (page: ODataPage) => T): AsyncGenerator<T> {
  const fetchMapped = async (path: string) => {
    const page = await fetchPage(query, path);
    return { nextLink: page.nextLink, item: map(page) };
  };
  type Fetched = { nextLink: string | undefined; item: T };
  let pending: Promise<Fetched> | undefined = fetchMapped(query.path);
  while (pending) {
    const { nextLink, item }: Fetched = await pending;
    // Followed relative to the configured organisation: the bearer token never goes to a host a link names.
    pending = nextLink === undefined ? undefined : fetchMapped(relativeLink(nextLink, query.http.dataPath));
    // If the consumer stops early, the prefetch must not become an unhandled rejection.
    pending?.catch(() => undefined);
    yield item;
  }
}

/**
 * Merges several page streams (parallel partitions) into one; each source has at most one page in flight, so
 * memory is bounded by the number of sources.
 */
export async function* mergePages<T>(
  sources: readonly AsyncIterator<T>[],
): AsyncGenerator<{ index: number; page: T }> {
  const inFlight = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const pull = (index: number) =>
    inFlight.set(
      index,
      sources[index].next().then((result) => ({ index, result })),
    );
  sources.forEach((_, index) => pull(index));
  try {
    while (inFlight.size > 0) {
      const { index, result } = await Promise.race(inFlight.values());
      inFlight.delete(index);
      if (result.done) continue;
      pull(index);
      yield { index, page: result.value };
    }
  } finally {
    for (const promise of inFlight.values()) promise.catch(() => undefined);
    await Promise.allSettled(sources.map((source) => source.return?.()));
  }
}
