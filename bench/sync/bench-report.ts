import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import type { Backend, BenchResult } from './bench-result.ts';

const backendNames: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** Cores, memory, CPU model, OS, Node.js and how busy the machine was: numbers mean little without them. */
export function describeMachine(loadAtStart: number): string {
  return (
    `${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ` +
    `${cpus()[0]?.model.trim() ?? 'unknown CPU'}; Linux ${release()}; Node.js ${process.version}; ` +
    `load average ${loadAtStart.toFixed(1)} at the start (other work on the machine slows every figure)`
  );
}

export const currentLoad = (): number => loadavg()[0];

const formatValue = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 2 });
const formatTarget = (target: string | null) =>
  target === null
    ? '—'
    : target
        .replace('>=', '≥')
        .replace('<=', '≤')
        .replace(/\d+/, (n) => Number(n).toLocaleString('en'));
const mark = (met: boolean | null) => (met === null ? '' : met ? ' ✓' : ' ✗');

/** One row per scenario metric, one column per backend, then every result's note. */
export function markdownTable(results: readonly BenchResult[]): string {
  const backends = [...new Set(results.map((r) => r.backend))];
  const rows = new Map<string, BenchResult[]>();
  for (const r of results) {
    const key = `${r.id} ${r.metric}`;
    rows.set(key, [...(rows.get(key) ?? []), r]);
  }
  const lines = [
    `| scenario | metric | unit | target | ${backends.map((b) => backendNames[b]).join(' | ')} |`,
    `| --- | --- | --- | --: | ${backends.map(() => '--:').join(' | ')} |`,
  ];
  for (const group of rows.values()) {
    const first = group[0];
    const cells = backends.map((backend) => {
      const r = group.find((candidate) => candidate.backend === backend);
      return r === undefined ? '—' : `${formatValue(r.value)}${mark(r.met)}`;
    });
    lines.push(
      `| ${first.id} | ${first.metric} | ${first.unit} | ${formatTarget(first.target)} | ${cells.join(' | ')} |`,
    );
  }
  // Metrics of one scenario often share their note: say it once.
  const notes = [...new Set(results.map((r) => `- ${r.id} ${backendNames[r.backend]}: ${r.note}.`))];
  return [...lines, '', ...notes].join('\n');
}
