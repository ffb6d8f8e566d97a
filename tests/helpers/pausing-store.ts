import type { Store } from '../../src/store/store.ts';

/**
 * The store as the engine sees it, except that inside a transaction, right after a call of one of `methods`
 * whose arguments and result `matches`, `pause` runs — once. The transaction waits for it, so whatever `pause`
 * commits through another connection lands between that read and the transaction's commit: the races of B4.7
 * made deterministic.
 */
export function pausingStore(
  store: Store,
  methods: readonly string[],
  matches: (args: unknown[], result: unknown) => boolean,
  pause: () => Promise<void>,
): Store {
  let fired = false;
  const wrap = (target: Store, inTx: boolean): Store =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => Promise<unknown>;
        if (property === 'withTransaction') {
          return (fn: (tx: Store) => Promise<unknown>) => object.withTransaction((tx) => fn(wrap(tx, true)));
        }
        if (inTx && typeof property === 'string' && methods.includes(property)) {
          return async (...args: unknown[]) => {
            const result = await method.apply(object, args);
            if (!fired && matches(args, result)) {
              fired = true;
              await pause();
            }
            return result;
          };
        }
        return method.bind(object);
      },
    });
  return wrap(store, false);
}
