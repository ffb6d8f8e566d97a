import { readFile } from 'node:fs/promises';

/** Linux's USER_HZ: proc(5) reports CPU times in clock ticks, 100 per second on every Linux Node runs on. */
const ticksPerSecond = 100;

/**
 * User + system CPU time another process has used so far (ms), from `/proc/<pid>/stat`; undefined where there
 * is no such file (not Linux, or the process is gone). The bench reads the emulator's this way because the
 * emulator is a process of its own and its CPU is the other half of what S1 shares two cores with.
 */
export async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of proc(5); fields[0] is field 3.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / ticksPerSecond : undefined;
}
