// A daemon's pid file, trusted only as far as /proc confirms it: a pid may have been reused since
// the file was written, so the process must still run and its command line pass the caller's check.
import { readFileSync } from 'node:fs';
import { processAlive } from './process-alive.ts';

/** The pid `file` names while that process runs and `is(argv)` holds for it; else undefined. */
export function livePidFromFile(file: string, is: (argv: readonly string[]) => boolean): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) return undefined;
    return is(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** argv runs `program`, by name or path (also as a busybox applet: `busybox udhcpd ...`). */
export const runsProgram = (argv: readonly string[], program: string): boolean => argv.some((a) => a === program || a.endsWith(`/${program}`));
