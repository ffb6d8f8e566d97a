import type { RecordPage } from '../connector.ts';
import type { DataverseHttp } from './dataverse-http.ts';
import { fetchPage, mergePages, readPages } from './page-reader.ts';
import { readPreferences, toRecord, wireColumns, type EntityShape } from './record-mapper.ts';

/**
 * Full reads (backfill, reconcile without change tracking, bulk loads), optionally split into `createdon`
 * ranges read in parallel. Why `createdon` and not primary-key ranges: Dataverse orders GUIDs the SQL Server
 * way (last six bytes first), which a client cannot split evenly without knowing the server's collation;
 * `createdon` is set on every row, indexed, and filterable with plain OData comparisons.
 */
export interface FullReadContext {
  readonly http: DataverseHttp;
  readonly shape: EntityShape;
  readonly pageSize: number;
  readonly partitions: number;
  readonly signal?: AbortSignal;
}

export async function* readAllPages(
  context: FullReadContext,
  select: readonly string[],
): AsyncGenerator<RecordPage> {
  const { shape } = context;
  const base = `${shape.entity.entitySetName}?$select=${wireColumns(shape, select).join(',')}`;
  const filters = context.partitions > 1 ? await partitionFilters(context) : [undefined];
  const sources = filters.map((filter) =>
    readPages(
      {
        http: context.http,
        path: filter === undefined ? base : `${base}&$filter=${filter}`,
        prefer: [`odata.maxpagesize=${context.pageSize}`, readPreferences],
        signal: context.signal,
      },
      (page) => page.value.map((row) => toRecord(shape, row, page)),
    ),
  );
  for await (const { index, page } of mergePages(sources)) {
    yield { partition: index, records: page };
  }
}

/**
 * Disjoint filters covering every row: equal time slices between the oldest and newest `createdon`; the first
 * is open below (and takes rows without a `createdon`), the last open above (rows created during the read).
 */
export async function partitionFilters(context: FullReadContext): Promise<(string | undefined)[]> {
  const set = context.shape.entity.entitySetName;
  const edge = async (direction: 'asc' | 'desc') => {
    const page = await fetchPage(
      { http: context.http, path: '', prefer: [], signal: context.signal },
      `${set}?$select=createdon&$orderby=createdon ${direction}&$top=1&$filter=createdon ne null`,
    );
    const value = page.value[0]?.createdon;
    return typeof value === 'string' ? Date.parse(value) : undefined;
  };
  const [oldest, newest] = await Promise.all([edge('asc'), edge('desc')]);
  if (oldest === undefined || newest === undefined || newest <= oldest) return [undefined];
  const count = Math.min(context.partitions, Math.max(1, Math.floor((newest - oldest) / 1000)));
  const step = (newest - oldest) / count;
  const at = (i: number) => new Date(oldest + Math.round(step * i)).toISOString().replace(/\.\d+Z$/, 'Z');
  return Array.from({ length: count }, (_, i) => {
    if (count === 1) return undefined;
    if (i === 0) return `(createdon lt ${at(1)} or createdon eq null)`;
    if (i === count - 1) return `createdon ge ${at(i)}`;
    return `createdon ge ${at(i)} and createdon lt ${at(i + 1)}`;
  });
}
