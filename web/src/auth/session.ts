import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/api-client.ts';

/** The logged-in operator's API client; only pages inside the session can reach the API. */
export interface Session {
  readonly api: ApiClient;
  logout(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession() outside a logged-in session');
  return session;
}
