import assert from 'node:assert/strict';
import type { JobStore } from '../../src/store/job-store.ts';
import { type StoreFactory, portTest } from './store-contract-support.ts';

const unknownId = '01900000-0000-7000-8000-000000000000';

/** The jobs port (JobStore): backfill jobs (B5.5). */
export function registerJobStoreTests(factory: StoreFactory): void {
  const it = portTest(factory, (store): JobStore => store);

  it('backfill jobs: queued, progressed, resumable position, filtered by status (B5.5)', async (store) => {
    const job = await store.createBackfillJob({ entity: 'contact', attributes: ['new_tier'] });
    assert.equal(job.status, 'queued');
    const other = await store.createBackfillJob({ entity: 'lead', attributes: ['new_tier', 'x'] });
    const running = await store.updateBackfillJob(job.id, {
      status: 'running',
      processed: 500,
      total: 1200,
      position: 'page-3',
    });
    assert.equal(running!.processed, 500);
    assert.equal(running!.total, 1200);
    assert.equal(running!.position, 'page-3');
    assert.deepEqual(running!.attributes, ['new_tier']);
    assert.deepEqual(
      (await store.listBackfillJobs({ limit: 10, status: ['queued', 'running'] })).items.map(
        (item) => item.id,
      ),
      [job.id, other.id],
    );
    await store.updateBackfillJob(job.id, { status: 'done', finishedAt: new Date().toISOString() });
    assert.deepEqual(
      (await store.listBackfillJobs({ limit: 10, status: ['queued', 'running'] })).items.map(
        (item) => item.id,
      ),
      [other.id],
    );
    assert.equal((await store.getBackfillJob(job.id))!.status, 'done');
    assert.equal(await store.updateBackfillJob(unknownId, { processed: 1 }), undefined);
  });
}
