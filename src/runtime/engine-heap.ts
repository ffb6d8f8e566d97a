/**
 * V8 heap limits for the processes that run the sync engine (`syncline start`, `syncline sync`).
 *
 * Why: an initial load allocates and drops about a page of records per page (5,000 rows parsed, mapped,
 * merged, encoded); the live set stays near 30 MB, but with V8's defaults on a machine with plenty of memory
 * the young generation and the old generation's growth heuristics let the heap reach 370 MB (RSS 590 MB at
 * 100,000 contacts), which is memory taken from the database beside it. Issue 7: peak RSS ≤ 400 MB at
 * 1,000,000 contacts. The old-space cap keeps the heap near its live set. The semi-spaces (the young
 * generation, where every page's garbage dies) were 8 MB until issue 17 measured the initial load end to end:
 * with 32 MB the engine spent 8–20 % less CPU per record (fewer scavenges, each copying the page being built;
 * 1,000,000 contacts: 162 → 132 µs on SQLite, 139 → 128 µs on PostgreSQL) for 40–50 MB more peak RSS
 * (337 → 387 and 377 MB, side by side in one run; benchmarks.md). 64 MB cost more than it saved, and a
 * 128-MB old-space cap beside 32-MB semi-spaces made PostgreSQL's load collect far more often (196 µs per
 * record). The emulator is not limited: it holds its whole data set in memory.
 */
export const engineHeapFlags: readonly string[] = ['--max-old-space-size=256', '--max-semi-space-size=32'];

/** The commands that run the engine in this process. */
const engineCommands = new Set(['start', 'sync']);

/**
 * The node flags to restart with, or undefined when the process already runs with them, runs no engine
 * command, or the operator set their own heap flags (NODE_OPTIONS or node's own arguments win).
 */
export function missingEngineHeapFlags(
  argv: readonly string[],
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): readonly string[] | undefined {
  const command = argv.slice(2).find((argument) => !argument.startsWith('-'));
  if (command === undefined || !engineCommands.has(command)) return undefined;
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some((flag) => /^--max-(old|semi)-space-size/.test(flag))) return undefined;
  return engineHeapFlags;
}
