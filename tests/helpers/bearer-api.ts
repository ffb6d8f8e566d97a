/** One answer of the product's HTTP API: the status, the parsed JSON (or the text when it is not JSON), the text. */
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

/** Calls the product's API at `baseUrl` with the bearer `key`, a JSON body when one is given. */
export function bearerApi(baseUrl: string, key: string) {
  return async <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Prometheus text and the like stay text.
    }
    return { status: response.status, body: parsed as T, text };
  };
}
