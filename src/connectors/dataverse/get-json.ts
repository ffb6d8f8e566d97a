import { CrmError } from '../crm-error.ts';
import type { DataverseHttp } from './dataverse-http.ts';

/** GET as JSON; `identity` pins the request to one application user (its WhoAmI, its privileges). */
export async function getJson<T = Record<string, unknown>>(
  http: DataverseHttp,
  path: string,
  signal?: AbortSignal,
  identity?: number,
): Promise<T> {
  const response = await http.send({ method: 'GET', path, signal, identity });
  try {
    return JSON.parse(response.text) as T;
  } catch (error) {
    throw new CrmError(
      { errorClass: 'pass', reason: 'protocol' },
      `Dataverse answered non-JSON for ${path}.`,
      {
        cause: error,
      },
    );
  }
}
