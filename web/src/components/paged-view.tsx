import type { ReactNode } from 'react';
import type { PagedList } from '../hooks/use-paged-list.ts';
import { LoadMore } from './load-more.tsx';
import { Loadable } from './loadable.tsx';

/** A paged list's states: loading, failed, empty (with `empty` as the message), or its items and "Load more". */
export function PagedView<T>({
  list,
  what,
  empty,
  children,
}: {
  list: PagedList<T>;
  what: string;
  empty: string;
  children: (items: readonly T[]) => ReactNode;
}) {
  return (
    <>
      <Loadable resource={{ data: list.items, error: list.error, reload: list.reload }} what={what}>
        {(items) => (items.length === 0 ? <p className="empty">{empty}</p> : children(items))}
      </Loadable>
      <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onLoadMore={list.loadMore} />
    </>
  );
}
