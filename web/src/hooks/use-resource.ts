import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../auth/session.ts';

export interface Resource<T> {
  /** The last answer for the current path; kept while a reload or a poll is under way. */
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
  /** Replaces the data with an answer obtained otherwise (e.g. the status a POST returned). */
  set(data: T): void;
}

interface Settled<T> {
  readonly path: string;
  readonly round: number;
  readonly data: T | undefined;
  readonly error: unknown;
}

/**
 * GET `path` (null: nothing to fetch yet), again on `reload()` and every `pollMs`. Loading is derived from
 * which request last settled, so the effect never sets state synchronously and a slow answer for an old path
 * never overwrites a newer one.
 */
export function useResource<T>(path: string | null, pollMs?: number): Resource<T> {
  const { api } = useSession();
  const [round, setRound] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | undefined>(undefined);

  useEffect(() => {
    if (path === null) return;
    let current = true;
    api.get<T>(path).then(
      (data) => current && setSettled({ path, round, data, error: undefined }),
      (error: unknown) =>
        current &&
        setSettled((previous) => ({
          path,
          round,
          data: previous?.path === path ? previous.data : undefined,
          error,
        })),
    );
    return () => {
      current = false;
    };
  }, [api, path, round]);

  useEffect(() => {
    if (pollMs === undefined) return;
    const timer = setInterval(() => setRound((value) => value + 1), pollMs);
    return () => clearInterval(timer);
  }, [pollMs]);

  const reload = useCallback(() => setRound((value) => value + 1), []);
  const set = useCallback(
    (data: T) => path !== null && setSettled({ path, round, data, error: undefined }),
    [path, round],
  );
  const mine = settled?.path === path ? settled : undefined;
  return {
    data: mine?.data,
    error: mine?.error,
    loading: path !== null && (mine === undefined || mine.round !== round),
    reload,
    set,
  };
}
