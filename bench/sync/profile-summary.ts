/**
 * Summarises a V8 CPU profile (`npm run bench -- --cpu-prof` writes them to bench-profiles/): the functions
 * with the most self time and the most inclusive time, in ms and % of the sampled time.
 *
 *   node bench/sync/profile-summary.ts bench-profiles/CPU.….cpuprofile [rows]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const [path, rowsArgument] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [rows]');
const rows = Number(rowsArgument ?? 25);
const profile = JSON.parse(await readFile(path, 'utf8')) as Profile;

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.replace(/^.*?\/(src|node_modules|bench|tests)\//, '$1/')}:${lineNumber + 1}`;
};

const selfTime = new Map<string, number>();
const inclusiveTime = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  total += micros;
  const node = nodes.get(id)!;
  selfTime.set(label(node), (selfTime.get(label(node)) ?? 0) + micros);
  // Each function once per sample, however deep its recursion.
  const seen = new Set<string>();
  for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
    const name = label(nodes.get(current)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusiveTime.set(name, (inclusiveTime.get(name) ?? 0) + micros);
  }
});

function table(title: string, times: Map<string, number>): string {
  const top = [...times].sort((a, b) => b[1] - a[1]).slice(0, rows);
  const lines = top.map(
    ([name, micros]) =>
      `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`,
  );
  return [title, ...lines].join('\n');
}

process.stdout.write(
  `${(total / 1000).toFixed(0)} ms sampled\n\n${table('self time', selfTime)}\n\n` +
    `${table('inclusive time', inclusiveTime)}\n`,
);
