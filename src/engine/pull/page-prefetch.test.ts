import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prefetch } from './page-prefetch.ts';

/** A source whose items are released by hand, so the test sees what is held and when. */
function manualSource() {
  const waiting: ((result: IteratorResult<number>) => void)[] = [];
  const source: AsyncIterator<number> = {
    next: () => new Promise((resolve) => waiting.push(resolve)),
  };
  return {
    source,
    release: (result: IteratorResult<number>) => waiting.shift()?.(result),
    get asked() {
      return waiting.length;
    },
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('page prefetch', () => {
  test('ready() says whether next() answers at once: an item held, or the end reached', async () => {
    const manual = manualSource();
    const pages = prefetch(manual.source, 2);
    assert.equal(pages.ready(), false, 'nothing read yet');
    manual.release({ done: false, value: 1 });
    await settle();
    assert.equal(pages.ready(), true, 'one item held');
    assert.deepEqual(await pages.next(), { done: false, value: 1 });
    assert.equal(pages.ready(), false, 'the next item is still being read');
    manual.release({ done: true, value: undefined });
    await settle();
    assert.equal(pages.ready(), true, 'the end is known');
    assert.equal((await pages.next()).done, true);
  });

  test('reads ahead up to its depth, one request at a time', async () => {
    const manual = manualSource();
    const pages = prefetch(manual.source, 2);
    assert.equal(manual.asked, 1);
    manual.release({ done: false, value: 1 });
    await settle();
    manual.release({ done: false, value: 2 });
    await settle();
    assert.equal(manual.asked, 0, 'two held: no third request');
    await pages.next();
    assert.equal(manual.asked, 1, 'taking one lets the next request go');
    pages.close();
  });
});
