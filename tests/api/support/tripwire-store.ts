import type { Store } from '../../../src/store/store.ts';

/**
 * A Store stand-in for tests that must prove a request is rejected before it reaches the database: every
 * method call is recorded, and any method not given an answer throws (→ 500, which the test would see).
 */
export function tripwireStore(answers: Partial<Record<keyof Store, (...args: unknown[]) => unknown>> = {}): {
  store: Store;
  calls: string[];
} {
  const calls: string[] = [];
  const store = new Proxy({} as Store, {
    get(_target, property) {
      if (typeof property !== 'string' || property === 'then') return undefined;
      return async (...args: unknown[]) => {
        calls.push(property);
        const answer = answers[property as keyof Store];
        if (answer === undefined) throw new Error(`tripwire: unexpected store.${property}()`);
        return answer(...args);
      };
    },
  });
  return { store, calls };
}
