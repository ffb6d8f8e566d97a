import { useMemo, useState } from 'react';
import { createApiClient } from './api/api-client.ts';
import { forgetApiKey, storeApiKey, storedApiKey } from './auth/api-key-storage.ts';
import { LoginPage } from './auth/login-page.tsx';
import { SessionContext, type Session } from './auth/session.ts';
import { Layout } from './layout.tsx';

/**
 * Nothing but the login form exists without a key: the pages, and so every API call, live inside the session,
 * and a 401 from any call ends it (the key was changed on the server).
 */
export function App() {
  const [apiKey, setApiKey] = useState<string | undefined>(storedApiKey);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const session = useMemo<Session | undefined>(() => {
    if (apiKey === undefined) return undefined;
    const end = (message: string | undefined) => {
      forgetApiKey();
      setNotice(message);
      setApiKey(undefined);
    };
    return {
      api: createApiClient(apiKey, () => end('The API key is no longer accepted. Please log in again.')),
      logout: () => end('You are logged out.'),
    };
  }, [apiKey]);

  if (session === undefined) {
    return (
      <LoginPage
        notice={notice}
        onLogin={(key) => {
          storeApiKey(key);
          setNotice(undefined);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout />
    </SessionContext.Provider>
  );
}
