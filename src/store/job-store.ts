import type { PageRequest, Page } from './person-store.ts';

/**
 * Backfill jobs (B5.5): a newly selected field is filled for every linked record by a job that runs beside
 * the passes, survives a crash (it resumes from `position`) and reports progress. Part of `Store` (store.ts).
 */

export type BackfillStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface BackfillJob {
  readonly id: string;
  readonly entity: string;
  readonly attributes: readonly string[];
  readonly status: BackfillStatus;
  readonly processed: number;
  readonly total: number | null;
  /** Where to resume after a crash (an opaque paging position of the engine's). */
  readonly position: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

export type BackfillPatch = Partial<
  Pick<BackfillJob, 'status' | 'processed' | 'total' | 'position' | 'error' | 'finishedAt'>
>;

export interface JobStore {
  /** A new job in status `queued`, nothing processed. */
  createBackfillJob(job: { entity: string; attributes: readonly string[] }): Promise<BackfillJob>;
  /** Undefined for an unknown or malformed id. */
  getBackfillJob(id: string): Promise<BackfillJob | undefined>;
  /** Oldest first; `status` filters (all statuses when absent). */
  listBackfillJobs(query: PageRequest & { status?: readonly BackfillStatus[] }): Promise<Page<BackfillJob>>;
  /** Undefined when the job does not exist. */
  updateBackfillJob(id: string, patch: BackfillPatch): Promise<BackfillJob | undefined>;
}
