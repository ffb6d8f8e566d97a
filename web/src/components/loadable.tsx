import type { ReactNode } from 'react';
import { ErrorBanner } from './error-banner.tsx';

interface LoadableState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  reload(): void;
}

/**
 * Loading, failed or ready: every data panel goes through here, so none renders half-loaded. Data already
 * shown stays visible when a later reload fails, with the error above it.
 */
export function Loadable<T>({
  resource,
  what,
  children,
}: {
  resource: LoadableState<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  const banner =
    resource.error === undefined ? null : <ErrorBanner error={resource.error} onRetry={resource.reload} />;
  if (resource.data !== undefined) {
    return (
      <>
        {banner}
        {children(resource.data)}
      </>
    );
  }
  return (
    banner ?? (
      <p className="loading" role="status">
        Loading {what}…
      </p>
    )
  );
}
