import { ConfidentialClientApplication, LogLevel, type INetworkModule } from '@azure/msal-node';
import { request, type Dispatcher } from 'undici';
import type { CrmAuthConfig } from '../../config/config.ts';
import type { Logger } from '../../logging/logger.ts';
import { CrmError } from '../crm-error.ts';

/**
 * Where Dataverse bearer tokens come from: Entra ID client credentials through MSAL (which caches the token and
 * renews it before it expires), or a static token (emulator, tests). Tokens are never logged nor put in an
 * error message: MSAL's own logging is routed to ours with PII switched off.
 */
export interface TokenProvider {
  getToken(): Promise<string>;
  /** After a 401: drop the cached token. True when asking again may give a different token. */
  invalidate(): boolean;
}

export const defaultAuthorityHost = 'https://login.microsoftonline.com';

export function createTokenProvider(options: {
  auth: CrmAuthConfig;
  /** The organisation URL: the token's audience (`<url>/.default`). */
  resource: string;
  logger: Logger;
  /** Only for a non-default authority with a private CA (the emulator's HTTPS token endpoint in tests). */
  dispatcher?: Dispatcher;
  /** Which application user this is (`application user #2`), for errors when there are several; else ''. */
  label?: string;
}): TokenProvider {
  const { auth } = options;
  if (auth.kind === 'static-token') {
    return { getToken: () => Promise.resolve(auth.token), invalidate: () => false };
  }
  const authorityHost = (auth.authorityHost ?? defaultAuthorityHost).replace(/\/+$/, '');
  const custom = auth.authorityHost !== undefined && authorityHost !== defaultAuthorityHost;
  const log = options.logger.child({ component: 'msal' });
  const label = options.label ?? '';
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
      authority: `${authorityHost}/${auth.tenantId}`,
      // A non-Microsoft host (the emulator) is trusted explicitly, which also skips cloud instance discovery.
      ...(custom ? { knownAuthorities: [new URL(authorityHost).host] } : {}),
    },
    system: {
      ...(options.dispatcher ? { networkClient: undiciNetworkModule(options.dispatcher) } : {}),
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message) => {
          if (level <= LogLevel.Error) log.error(message);
          else log.warn(message);
        },
      },
    },
  });
  const scopes = [`${options.resource.replace(/\/+$/, '')}/.default`];
  let forceRefresh = false;
  return {
    async getToken() {
      try {
        const result = await app.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh });
        forceRefresh = false;
        if (!result?.accessToken) throw new Error('Entra ID returned no access token.');
        return result.accessToken;
      } catch (error) {
        throw authError(error, label);
      }
    },
    invalidate() {
      if (forceRefresh) return false;
      forceRefresh = true;
      return true;
    },
  };
}

/**
 * MSAL errors carry an `errorCode` (e.g. `invalid_client`) and a message without the secret. Each application
 * user has its own MSAL application (its own token cache); `label` says which one failed.
 */
function authError(error: unknown, label: string): CrmError {
  const e = error as { errorCode?: string; errorMessage?: string; message?: string; code?: string };
  const network = e.errorCode === 'network_error' || e.errorCode === 'endpoints_resolution_error';
  const detail = (e.errorMessage || e.message || 'unknown error').split('\n')[0];
  return new CrmError(
    { errorClass: 'pass', reason: network ? 'unreachable' : 'auth' },
    network
      ? `The Entra ID token endpoint could not be reached: ${detail}`
      : `Entra ID refused the client credentials${label ? ` of ${label}` : ''}${e.errorCode ? ` (${e.errorCode})` : ''}: ${detail}`,
    { cause: error },
  );
}

/** MSAL's HTTP calls over undici, so a private CA configured on the dispatcher applies to them too. */
function undiciNetworkModule(dispatcher: Dispatcher): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    headers?: Record<string, string>,
    body?: string,
  ) => {
    const response = await request(url, { method, headers, body, dispatcher });
    const text = await response.body.text();
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers: flat, body: (text === '' ? {} : JSON.parse(text)) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options?.headers),
    sendPostRequestAsync: (url, options) => send('POST', url, options?.headers, options?.body),
  };
}
