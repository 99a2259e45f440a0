// Kernel parameters by their sysctl name, through /proc/sys (what sysctl(8) does; no spawn).
// Names use '.' between levels; a '.' inside a level (an interface like bond0.10) is written
// '/', as sysctl(8) and the config schema do: net.ipv4.conf.bond0/10.rp_filter is
// /proc/sys/net/ipv4/conf/bond0.10/rp_filter. net.* keys belong to the network namespace of
// the writer; the rest are global.
import { readFileSync, writeFileSync } from 'node:fs';

export const PROC_SYS = '/proc/sys';

/** The file behind a sysctl name, or undefined for a name that would leave /proc/sys. */
export function sysctlPath(name: string, procSys = PROC_SYS): string | undefined {
  const levels = name.split('.').map((level) => level.replace(/\//g, '.'));
  if (levels.some((l) => l === '' || l === '.' || l === '..')) return undefined;
  return `${procSys}/${levels.join('/')}`;
}

export type SysctlOutcome =
  | { readonly status: 'unchanged' }
  | { readonly status: 'set' }
  | { readonly status: 'failed'; readonly reason: string };

const WRITE_ERRORS: Record<string, string> = {
  ENOENT: 'no such sysctl',
  ENOTDIR: 'no such sysctl',
  EISDIR: 'not a single parameter (a whole group)',
  EINVAL: 'the kernel refused the value',
  ERANGE: 'the value is out of range',
  EACCES: 'not writable',
  EPERM: 'not permitted',
  EROFS: 'read-only here',
  EBUSY: 'busy',
  EOPNOTSUPP: 'not supported',
};

/** Values compare by their words: the kernel prints "4096\t87380" for "4096 87380". */
function sameValue(current: string, wanted: string): boolean {
  const words = (s: string): string => s.trim().split(/\s+/).join(' ');
  return words(current) === words(wanted);
}

/** Sets one sysctl; reads it first so an already-right value is left alone (and reported so). */
export function writeSysctl(name: string, value: string | number, procSys = PROC_SYS): SysctlOutcome {
  const path = sysctlPath(name, procSys);
  if (path === undefined) return { status: 'failed', reason: 'not a sysctl name' };
  const wanted = String(value);
  try {
    if (sameValue(readFileSync(path, 'utf8'), wanted)) return { status: 'unchanged' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // Write-only keys exist (net.ipv4.route.flush); only a missing key ends it here.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return { status: 'failed', reason: WRITE_ERRORS[code]! };
  }
  try {
    writeFileSync(path, wanted);
    return { status: 'set' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return { status: 'failed', reason: WRITE_ERRORS[code] ?? (code || 'write error') };
  }
}

export function readSysctl(name: string, procSys = PROC_SYS): string | undefined {
  const path = sysctlPath(name, procSys);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
