/**
 * The store's id generator against the `uuid` library's own v7 (docs/benchmarks.md, S1): 200,000 ids each,
 * three alternating rounds. Run: `node bench/store/time-ordered-id-bench.ts` (Node 24: `npm exec node …` or
 * `node_modules/.bin/node …`).
 */
import { v7 } from 'uuid';
import { timeOrderedId } from '../../src/store/sql/time-ordered-id.ts';

const count = 200_000;
const time = (make: () => string) => {
  const started = performance.now();
  for (let i = 0; i < count; i++) make();
  return performance.now() - started;
};
for (let round = 1; round <= 3; round++) {
  const library = time(() => v7());
  const pooled = time(timeOrderedId);
  console.log(
    `round ${round}: uuid v7 ${((library * 1000) / count).toFixed(2)} µs per id, ` +
      `timeOrderedId ${((pooled * 1000) / count).toFixed(2)} µs per id`,
  );
}
