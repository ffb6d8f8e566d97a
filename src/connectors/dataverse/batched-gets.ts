import { isCrmError } from '../crm-error.ts';
import { decodeBatchResponse, encodeBatch, type BatchPartResponse } from './batch-codec.ts';
import type { DataverseHttp } from './dataverse-http.ts';
import { getJson } from './get-json.ts';

/**
 * Several GETs in one `$batch` (GETs may go in a batch, outside any changeset: protocol reference §4), each
 * answered as `getJson` would. Why: describing an entity is ten metadata reads (its attributes and the eight
 * casts that carry their details); sent alone, seven entities' seventy reads queued behind the connector's
 * concurrency limit and held the first pass back by ~0.7 s (S3). A part the batch did not answer with 2xx is
 * read again alone, through `getJson`'s retries and error classes; a batch refused as a whole (an organisation
 * or proxy that does not take GETs in `$batch`) falls back to reading every path alone.
 */
export async function getJsonBatched<T>(
  http: DataverseHttp,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<T[]> {
  if (paths.length < 2) return Promise.all(paths.map((path) => getJson<T>(http, path, signal)));
  let parts: (BatchPartResponse | undefined)[];
  try {
    parts = await sendGets(http, paths, signal);
  } catch (error) {
    if (signal?.aborted || !isCrmError(error) || error.errorClass === 'pass') throw error;
    parts = [];
  }
  return Promise.all(
    paths.map(async (path, index) => {
      const part = parts[index];
      if (part === undefined || part.status < 200 || part.status >= 300)
        return getJson<T>(http, path, signal);
      try {
        return JSON.parse(part.body) as T;
      } catch {
        return getJson<T>(http, path, signal);
      }
    }),
  );
}

async function sendGets(
  http: DataverseHttp,
  paths: readonly string[],
  signal: AbortSignal | undefined,
): Promise<(BatchPartResponse | undefined)[]> {
  const { contentType, body } = encodeBatch(
    paths.map((path) => ({
      changeset: false,
      request: { method: 'GET', url: `${http.dataPath}${path}`, headers: { accept: 'application/json' } },
    })),
  );
  const response = await http.send({
    method: 'POST',
    path: '$batch',
    headers: { 'content-type': contentType, prefer: 'odata.continue-on-error' },
    body,
    // Reads only: sending the batch again cannot change anything.
    idempotent: true,
    signal,
  });
  const type = response.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('multipart/')) return [];
  return decodeBatchResponse(type, response.text).map((item) =>
    item.kind === 'response' ? item.response : undefined,
  );
}
