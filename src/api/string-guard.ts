import type { FastifyInstance } from 'fastify';
import { SynclineError } from '../errors/syncline-error.ts';

/** Why a string cannot be taken: it holds U+0000, or a UTF-16 surrogate without its other half. */
export type StringProblem = 'nul' | 'lone-surrogate';

export interface InvalidString {
  /** Where: `body.firstName`, `body.steps[0].subject`, `query.email`, `params.id`; a bad key is named itself. */
  readonly path: string;
  readonly problem: StringProblem;
}

/** Enough to fix a request; a body with thousands of bad strings need not be listed in full. */
const maxReported = 20;

const explanations: Record<StringProblem, string> = {
  nul: 'contains a NUL character (U+0000)',
  'lone-surrogate': 'contains a lone UTF-16 surrogate (invalid Unicode)',
};

export function stringProblem(text: string): StringProblem | undefined {
  if (text.includes('\u0000')) return 'nul';
  return text.isWellFormed() ? undefined : 'lone-surrogate';
}

/**
 * Every string in `value` that cannot be stored, keys included, at any depth. Iterative, not recursive: a 1 MiB
 * body can nest arrays hundreds of thousands deep, which would overflow the call stack.
 */
export function findInvalidStrings(value: unknown, root: string): InvalidString[] {
  const found: InvalidString[] = [];
  const pending: [unknown, string][] = [[value, root]];
  while (pending.length > 0 && found.length < maxReported) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      const problem = stringProblem(current);
      if (problem !== undefined) found.push({ path, problem });
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        pending.push([current[index], `${path}[${index}]`]);
      }
    } else if (typeof current === 'object' && current !== null) {
      const keys = Object.keys(current);
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index]!;
        const child = childPath(path, key);
        const problem = stringProblem(key);
        if (problem !== undefined) found.push({ path: child, problem });
        pending.push([(current as Record<string, unknown>)[key], child]);
      }
    }
  }
  return found.slice(0, maxReported);
}

/** `body.firstName`, or `body["a b"]` with JSON escapes when the key is no plain identifier (or is the bad part). */
function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Refuses, with 400 INVALID_CHARACTERS, any request whose path parameters, query or JSON body holds a string
 * with a NUL character or a lone surrogate. PostgreSQL cannot store either in text or jsonb ("invalid byte
 * sequence", "unsupported Unicode escape sequence"), so without this they reached the store and answered 500 —
 * after parts of a request may already have been written — while SQLite took them. `JSON.parse` keeps
 * `"\ud800"` as a lone surrogate, so a syntactically valid body can carry one.
 *
 * One hook on the root instance, before any route is registered, so every route (and every route added later)
 * is covered with no per-route work. `preValidation` runs after authentication (`onRequest`, so an anonymous
 * caller learns nothing) and body parsing, and before schema validation, the handler and the store.
 */
export function addStringGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problems = [
      ...findInvalidStrings(request.params, 'params'),
      ...findInvalidStrings(request.query, 'query'),
      ...findInvalidStrings(request.body, 'body'),
    ].slice(0, maxReported);
    if (problems.length === 0) return;
    const summary = problems.map((found) => `${found.path} ${explanations[found.problem]}`).join('; ');
    // A cursor is opaque: the client did not write those characters, it was handed a broken or forged cursor,
    // and the remedy is to restart paging, which INVALID_CURSOR says (as for any other malformed cursor).
    if (problems.every((found) => found.path === 'query.cursor')) {
      throw new SynclineError('INVALID_CURSOR', `The pagination cursor is malformed: ${summary}.`, {
        details: { problems },
      });
    }
    throw new SynclineError('INVALID_CHARACTERS', `Invalid characters: ${summary}.`, {
      details: { problems },
    });
  });
}
