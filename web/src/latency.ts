import type { SyncStatus } from './api/types.ts';

export type LatencyView = SyncStatus['latency']['toCrm'];

/** Targets of issue 14 (B2.8): what the panel measures each percentile against. */
export const latencyTargets = { p95Ms: 5000, p99Ms: 10_000 } as const;

/** "850 ms", "2.4 s", "1 min 5 s"; an em dash when nothing was carried. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600)
    return seconds % 60 === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Whether a direction's figures are within the targets; null when nothing was carried in the last hour. */
export function withinTargets(latency: LatencyView): boolean | null {
  if (latency.count === 0 || latency.p95Ms === null || latency.p99Ms === null) return null;
  return latency.p95Ms <= latencyTargets.p95Ms && latency.p99Ms <= latencyTargets.p99Ms;
}
