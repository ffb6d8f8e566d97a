/** Record changes written to the marketing side from the CRM (B2): what "pulled" counts. */
const pulledKinds = new Set(['created', 'updated', 'deleted', 'merged', 'converted']);

/**
 * The pass-summary log message a person reads at a glance (issue 16, readable logs), from the pass's counts
 * (`<entity>.fromCrm.updated`, `<entity>.toCrm.failed`, …): "pass done in 1.3 s: 40 pulled, 3 pushed,
 * 0 failed", with conflicts and deferred pushes added when there were any. The counts themselves stay in the
 * event's fields.
 */
export function passSummary(counts: Readonly<Record<string, number>>, durationMs: number): string {
  let pulled = 0;
  let pushed = 0;
  let failed = 0;
  let conflicts = 0;
  let deferred = 0;
  for (const [key, count] of Object.entries(counts)) {
    const [, direction, kind] = key.split('.');
    if (direction === 'fromCrm' && kind !== undefined && pulledKinds.has(kind)) pulled += count;
    else if (direction === 'toCrm' && kind === 'updated') pushed += count;
    else if (direction === 'toCrm' && kind === 'failed') failed += count;
    else if (direction === 'toCrm' && kind === 'deferred') deferred += count;
    else if (direction === 'conflicts' && kind === undefined) conflicts += count;
  }
  const figures = [`${pulled} pulled`, `${pushed} pushed`, `${failed} failed`];
  if (conflicts > 0) figures.push(`${conflicts} conflict${conflicts === 1 ? '' : 's'}`);
  if (deferred > 0) figures.push(`${deferred} deferred`);
  return `pass done in ${seconds(durationMs)}: ${figures.join(', ')}`;
}

function seconds(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
