import { ApiError } from './api-error.ts';
import type { ErrorBody } from './types.ts';

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
  /** A non-JSON download (the errors' CSV export) as a Blob. */
  download(path: string, accept: string): Promise<Blob>;
}

/**
 * Every call carries the key as a bearer token (interfaces.md §4); the key never goes into a URL, so it cannot
 * end up in the server's access logs, the browser history or a Referer header. A 401 anywhere means the key
 * stopped being valid (e.g. the server's key was changed): `onUnauthorized` logs the operator out.
 */
export function createApiClient(apiKey: string, onUnauthorized: (error: ApiError) => void): ApiClient {
  async function send(method: string, path: string, body?: unknown, accept = 'application/json') {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (!response.ok) {
      const error = await toApiError(response);
      if (response.status === 401) onUnauthorized(error);
      throw error;
    }
    return response;
  }
  const json = async <T>(response: Response): Promise<T> =>
    (response.status === 204 ? undefined : await response.json()) as T;
  return {
    get: async (path) => json(await send('GET', path)),
    post: async (path, body) => json(await send('POST', path, body ?? {})),
    put: async (path, body) => json(await send('PUT', path, body)),
    delete: async (path) => void (await send('DELETE', path)),
    download: async (path, accept) => (await send('GET', path, undefined, accept)).blob(),
  };
}

async function toApiError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as Partial<ErrorBody>;
    if (body.error !== undefined) {
      return new ApiError(response.status, body.error.code, body.error.message, body.error.details);
    }
  } catch {
    // Not our JSON error shape (a proxy's HTML page…): fall through to a generic error.
  }
  return new ApiError(response.status, `HTTP_${response.status}`, `The server answered ${response.status}.`);
}

/** `path?key=value…`, keeping the path's own query and skipping empty values. */
export function withQuery(
  path: string,
  query: Readonly<Record<string, string | number | undefined>>,
): string {
  const [base, existing] = path.split('?', 2) as [string, string | undefined];
  const search = new URLSearchParams(existing);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? base : `${base}?${text}`;
}
