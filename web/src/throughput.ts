import type { SyncPassView } from './api/types.ts';

/** Pass counts that are records written to one side (`contact.fromCrm.updated`…), not skips or retries. */
const writtenCount = /^[^.]+\.(fromCrm|toCrm)\.(created|updated|deleted|linked|merged|converted)$/;

export interface HourBucket {
  /** Start of the hour. */
  readonly start: Date;
  readonly toCrm: number;
  readonly fromCrm: number;
}

/** Records written per pass, by direction. */
export function writtenRecords(pass: SyncPassView): { toCrm: number; fromCrm: number } {
  let toCrm = 0;
  let fromCrm = 0;
  for (const [key, value] of Object.entries(pass.counts)) {
    const match = writtenCount.exec(key);
    if (match?.[1] === 'toCrm') toCrm += value;
    else if (match?.[1] === 'fromCrm') fromCrm += value;
  }
  return { toCrm, fromCrm };
}

/** The last 24 hours in hourly buckets (oldest first), from the passes that started in them. */
export function hourlyThroughput(passes: readonly SyncPassView[], now: Date = new Date()): HourBucket[] {
  const hour = 3_600_000;
  const currentHour = Math.floor(now.getTime() / hour) * hour;
  const buckets = Array.from({ length: 24 }, (_, index) => ({
    start: new Date(currentHour - (23 - index) * hour),
    toCrm: 0,
    fromCrm: 0,
  }));
  for (const pass of passes) {
    const index =
      23 - Math.floor((currentHour - Math.floor(Date.parse(pass.startedAt) / hour) * hour) / hour);
    const bucket = buckets[index];
    if (bucket === undefined) continue;
    const written = writtenRecords(pass);
    bucket.toCrm += written.toCrm;
    bucket.fromCrm += written.fromCrm;
  }
  return buckets;
}
