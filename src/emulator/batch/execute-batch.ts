import { BatchError } from './batch-error.ts';
import {
  entityReferenceOf,
  resolveBodyReferences,
  resolveRequestUrl,
  type ContentIdScope,
  type EntityReference,
} from './content-id-references.ts';
import {
  formatBatchResponse,
  type AnsweredRequest,
  type BatchResponseItem,
} from './format-batch-response.ts';
import type { HttpMessageRequest, HttpMessageResponse } from './http-message.ts';
import { parseBatch, type BatchRequestPart } from './parse-batch.ts';

/** What the emulator core lends the batch runner. */
export interface BatchExecutor {
  /** Runs one request through the same handlers as HTTP (auth, limits accounting and routing included). */
  dispatch(request: HttpMessageRequest): Promise<HttpMessageResponse>;
  /** Runs `fn`; when it throws, every state change made inside is rolled back, then the error is rethrown. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Outer headers every inner request inherits: the inner parts carry no credentials (dynamics-web-api strips
 * `Authorization` from them) and impersonation/behaviour headers apply to the whole batch.
 */
function inheritedHeaders(outer: Readonly<Record<string, string>>): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(outer)) {
    const lower = name.toLowerCase();
    if (
      lower === 'authorization' ||
      lower === 'host' ||
      lower === 'x-forwarded-proto' ||
      lower === 'callerobjectid' ||
      lower === 'mscrmcallerid' ||
      lower.startsWith('mscrm.')
    ) {
      inherited[lower] = value;
    }
  }
  return inherited;
}

/** True when a `Prefer` header (comma-separated, quote-aware) contains the preference, not set to false. */
export function prefers(header: string | undefined, preference: string): boolean {
  for (const token of header?.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const [name, value] = token.split('=', 2).map((s) => s.trim().toLowerCase());
    if (name === preference) return value !== 'false';
  }
  return false;
}

/** A changeset member failed: the changeset is rolled back and answered by this one response. */
class ChangesetFailure extends Error {
  readonly response: HttpMessageResponse;
  constructor(response: HttpMessageResponse) {
    super('changeset failed');
    this.response = response;
  }
}

/**
 * Runs a `POST …/$batch` (reference §4): parts in order, changesets atomically inside
 * `executor.transaction`, `$n` Content-ID references resolved per changeset. Without
 * `Prefer: odata.continue-on-error` the first failure stops the batch and is answered alone with HTTP 400;
 * with it, every part is answered with 200.
 */
export async function executeBatch(
  request: HttpMessageRequest,
  executor: BatchExecutor,
  options: { newId?: () => string } = {},
): Promise<HttpMessageResponse> {
  let items;
  try {
    items = parseBatch(request.headers['content-type'], request.body);
  } catch (error) {
    if (error instanceof BatchError) return error.toResponse();
    throw error;
  }
  const continueOnError = prefers(request.headers['prefer'], 'odata.continue-on-error');
  const inherited = inheritedHeaders(request.headers);

  const runOne = async (part: BatchRequestPart, scope: ContentIdScope): Promise<HttpMessageResponse> => {
    try {
      if (/(^|\/)\$batch(\?|$)/.test(part.url)) {
        throw new BatchError('A batch request cannot contain another batch.');
      }
      const url = resolveRequestUrl(part.url, scope);
      const body = resolveBodyReferences(part.body, scope);
      return await executor.dispatch({
        method: part.method,
        url,
        headers: { ...inherited, ...part.headers },
        body,
      });
    } catch (error) {
      if (error instanceof BatchError) return error.toResponse();
      throw error;
    }
  };

  const answer = (results: BatchResponseItem[], status: number): HttpMessageResponse => {
    const { contentType, body } = formatBatchResponse(results, options.newId);
    const headers: Record<string, string> = { 'Content-Type': contentType, 'OData-Version': '4.0' };
    if (continueOnError) headers['Preference-Applied'] = 'odata.continue-on-error';
    return { status, headers, body };
  };

  const results: BatchResponseItem[] = [];
  for (const item of items) {
    if (item.kind === 'request') {
      const response = await runOne(item.request, new Map());
      const answered: BatchResponseItem = { kind: 'response', response };
      if (response.status >= 400 && !continueOnError) return answer([answered], 400);
      results.push(answered);
      continue;
    }
    const answeredMembers: AnsweredRequest[] = [];
    try {
      await executor.transaction(async () => {
        const scope = new Map<string, EntityReference>();
        for (const member of item.requests) {
          const response = await runOne(member, scope);
          if (response.status >= 400) throw new ChangesetFailure(response);
          const entity = entityReferenceOf(response.headers);
          if (member.contentId !== undefined && entity !== undefined) scope.set(member.contentId, entity);
          answeredMembers.push({ contentId: member.contentId, response });
        }
      });
      results.push({ kind: 'changeset', responses: answeredMembers });
    } catch (error) {
      if (!(error instanceof ChangesetFailure)) throw error;
      // A failed changeset is answered by its failing request alone (reference §4, OData 4.0 §11.7.4).
      const failed: BatchResponseItem = { kind: 'response', response: error.response };
      if (!continueOnError) return answer([failed], 400);
      results.push(failed);
    }
  }
  return answer(results, 200);
}
