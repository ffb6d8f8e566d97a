import { useState, type FormEvent } from 'react';
import { createApiClient } from '../api/api-client.ts';
import { ApiError, describeError } from '../api/api-error.ts';

/**
 * Asks for the API key and checks it against the API before anything else is shown. A refused key gets a
 * clear message and nothing else: no data has been fetched.
 */
export function LoginPage({
  notice,
  onLogin,
}: {
  notice: string | undefined;
  onLogin: (key: string) => void;
}) {
  const [key, setKey] = useState('');
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = key.trim();
    if (candidate === '') {
      setProblem('Enter the API key.');
      return;
    }
    setChecking(true);
    setProblem(undefined);
    try {
      await createApiClient(candidate, () => {}).get('/api/v1/sync/status');
      onLogin(candidate);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setProblem('This API key was refused. Check it and try again.');
      } else if (error instanceof ApiError && error.code === 'SYNC_UNAVAILABLE') {
        // The key is right; the sync engine is down, which the dashboard will show.
        onLogin(candidate);
      } else {
        setProblem(describeError(error));
      }
    } finally {
      setChecking(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} noValidate>
        <h1>Syncline</h1>
        <p className="muted">Admin console of the Microsoft Dynamics 365 sync.</p>
        {notice === undefined ? null : (
          <p className="banner banner-info" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={key}
          onChange={(event) => setKey(event.target.value)}
          aria-invalid={problem !== undefined}
          aria-describedby="api-key-help api-key-problem"
        />
        <p id="api-key-help" className="hint">
          The key <code>syncline start</code> printed on its first start, or <code>SYNCLINE_API_KEY</code>. It
          is kept in this browser tab only.
        </p>
        <p id="api-key-problem" className="field-problem" role="alert">
          {problem ?? ''}
        </p>
        <button type="submit" className="button-primary" disabled={checking}>
          {checking ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
