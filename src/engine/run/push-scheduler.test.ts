import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../logging/logger.ts';
import { PushScheduler } from './push-scheduler.ts';

/** Lets the promise callbacks run that a timer (mocked) or a settled push queued. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

interface Run {
  readonly at: number;
  readonly signal: AbortSignal;
  finish(found: number): void;
  fail(error: Error): void;
}

/** A scheduler whose pushes the test ends by hand, under mocked time starting at 0. */
function harness(t: TestContext, delayMs = 1000) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const runs: Run[] = [];
  const scheduler = new PushScheduler({
    delayMs,
    logger: silentLogger(),
    push: (signal) =>
      new Promise<number>((resolve, reject) => {
        runs.push({ at: Date.now(), signal, finish: resolve, fail: reject });
      }),
  });
  scheduler.resume();
  const advance = async (ms: number) => {
    await settle();
    t.mock.timers.tick(ms);
    await settle();
  };
  return { scheduler, runs, advance };
}

test('B2.8: wake-ups within the delay are coalesced into one push, started the delay after the first', async (t) => {
  const { scheduler, runs, advance } = harness(t);
  scheduler.wake();
  await advance(300);
  scheduler.wake();
  await advance(600);
  scheduler.wake();
  assert.equal(runs.length, 0);
  await advance(100);
  assert.deepEqual(
    runs.map((run) => run.at),
    [1000],
  );
  runs[0].finish(3);
  await advance(5000);
  assert.equal(runs.length, 1, 'nothing more without a wake-up');
});

test('B2.8: a wake-up during a push runs the next one the delay after it, or at once after a long push', async (t) => {
  const { scheduler, runs, advance } = harness(t);
  scheduler.wake();
  await advance(1000);
  await advance(200);
  scheduler.wake(); // at 1,200, while the first push runs
  await advance(300);
  runs[0].finish(1); // ends at 1,500
  await advance(600);
  assert.equal(runs.length, 1, 'not before 2,200');
  await advance(100);
  assert.deepEqual(
    runs.map((run) => run.at),
    [1000, 2200],
  );
  scheduler.wake(); // at 2,200, during the second push
  await advance(3000);
  runs[1].finish(1); // ends at 5,200, after the third was due (3,200)
  await advance(0);
  assert.deepEqual(
    runs.map((run) => run.at),
    [1000, 2200, 5200],
  );
});

test('B2.8: a push that found nothing new looks again twice, the delay apart (a change the feed still withholds)', async (t) => {
  const { scheduler, runs, advance } = harness(t, 500);
  scheduler.wake();
  await advance(500);
  runs[0].finish(0);
  await advance(500);
  runs[1].finish(0);
  await advance(500);
  runs[2].finish(0);
  await advance(5000);
  assert.deepEqual(
    runs.map((run) => run.at),
    [500, 1000, 1500],
  );
});

test('B8.1: paused, wake-ups are ignored and a running push is aborted; a failed push is logged and the next wake-up pushes', async (t) => {
  const { scheduler, runs, advance } = harness(t);
  scheduler.wake();
  await advance(1000);
  scheduler.pause();
  assert.equal(runs[0].signal.aborted, true, 'the running push is told to stop at its next boundary');
  runs[0].fail(new Error('aborted'));
  scheduler.wake();
  await advance(5000);
  assert.equal(runs.length, 1);
  scheduler.resume();
  scheduler.wake();
  await advance(1000);
  assert.equal(runs.length, 2);
  runs[1].fail(new Error('CRM unreachable'));
  await advance(5000);
  assert.equal(runs.length, 2, 'a failure schedules nothing by itself');
  scheduler.wake();
  await advance(1000);
  assert.equal(runs.length, 3);
  runs[2].finish(1);
  await scheduler.stop();
  scheduler.wake();
  await advance(5000);
  assert.equal(runs.length, 3, 'stopped for good');
});
