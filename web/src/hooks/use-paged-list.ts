import { useCallback, useState } from 'react';
import { withQuery } from '../api/api-client.ts';
import { useSession } from '../auth/session.ts';
import { useResource } from './use-resource.ts';

interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface PagedList<T> {
  readonly items: readonly T[] | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  loadMore(): void;
  reload(): void;
}

interface More<T> {
  readonly first: Page<T> | undefined;
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** A `{items, nextCursor}` list (interfaces.md §4): the first page, then "Load more" appends the next ones. */
export function usePagedList<T>(path: string | null): PagedList<T> {
  const { api } = useSession();
  const first = useResource<Page<T>>(path);
  const [more, setMore] = useState<More<T>>({ first: undefined, items: [], nextCursor: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(undefined);
  // Pages loaded on top of an older first page are dropped when the first page is reloaded.
  const extra = more.first === first.data ? more : undefined;
  const nextCursor =
    extra !== undefined && extra.items.length > 0 ? extra.nextCursor : first.data?.nextCursor;

  const loadMore = useCallback(() => {
    if (path === null || nextCursor === null || nextCursor === undefined) return;
    setLoadingMore(true);
    api.get<Page<T>>(withQuery(path, { cursor: nextCursor })).then(
      (page) => {
        setMore({
          first: first.data,
          items: [...(extra?.items ?? []), ...page.items],
          nextCursor: page.nextCursor,
        });
        setMoreError(undefined);
        setLoadingMore(false);
      },
      (error: unknown) => {
        setMoreError(error);
        setLoadingMore(false);
      },
    );
  }, [api, path, nextCursor, first.data, extra]);

  return {
    items: first.data === undefined ? undefined : [...first.data.items, ...(extra?.items ?? [])],
    error: first.error ?? moreError,
    loading: first.loading,
    hasMore: typeof nextCursor === 'string',
    loadingMore,
    loadMore,
    reload: first.reload,
  };
}
