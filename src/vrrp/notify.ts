// Notify commands with keepalived-compatible arguments (keepalived.conf(5) notify_*): the
// state-specific command runs as configured; the generic one (`any`, keepalived's `notify`) gets
// four more arguments: INSTANCE or GROUP, the name, MASTER|BACKUP|FAULT|STOP, and the priority.
// Pure: says what to run for a transition; the shell runs it (never awaited by failover).
import type { VrrpState } from './instance.ts';

export interface NotifyCommands {
  master?: readonly string[];
  backup?: readonly string[];
  fault?: readonly string[];
  stop?: readonly string[];
  any?: readonly string[];
}

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** keepalived's names: INIT after a shutdown is STOP. */
export function notifyState(to: VrrpState): NotifyState {
  return to === 'INIT' ? 'STOP' : to;
}

/** The argv lists to run, in order, for `name` (an instance or a sync group) entering `to`. */
export function notifyArgv(n: NotifyCommands, scope: 'INSTANCE' | 'GROUP', name: string, to: VrrpState, priority: number): string[][] {
  const state = notifyState(to);
  const specific = { MASTER: n.master, BACKUP: n.backup, FAULT: n.fault, STOP: n.stop }[state];
  const out: string[][] = [];
  if (specific) out.push([...specific]);
  if (n.any) out.push([...n.any, scope, name, state, String(priority)]);
  return out;
}

// Script security as keepalived's enable_script_security (lib/notify.c check_script_secure() and
// check_security()): a command must not be replaceable by anyone but root and the user the daemon
// runs as (root on the box). Checked: the path with its directory resolved (/bin/sh -> /usr/bin/sh
// on merged-/usr systems), and the file it finally resolves to. Every element from "/" down: owned
// by root or that user; a directory without the sticky bit, or the file itself, not writable by
// everyone nor by a group other than root's. Every element but the last must be a directory; the
// last a regular file or a link. Beyond keepalived, every absolute path among the arguments (also
// inside an argument, as in ["/bin/sh", "-c", "/data/x.sh up"]) is held to the same rules: an
// interpreter is only as safe as the script it runs. An argument path that does not exist yet
// needs a safe directory (nobody else may create it); one that is a device needs only safe parents.

/** What is needed of lstat(2) for one path element. */
export interface PathElementStat {
  kind: 'dir' | 'file' | 'symlink' | 'other';
  uid: number;
  gid: number;
  /** st_mode's permission bits (with sticky 0o1000). */
  mode: number;
}

const S_ISVTX = 0o1000;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

/** "/a/b/c" -> ["/", "/a", "/a/b", "/a/b/c"]. */
export function pathElements(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const out = ['/'];
  for (let i = 0; i < parts.length; i++) out.push(`/${parts.slice(0, i + 1).join('/')}`);
  return out;
}

/**
 * Why running `path` as root would be unsafe, or undefined when it is not. `lstat` answers for
 * one element without following links (undefined: it does not exist); `realpath` resolves links.
 */
export function scriptPathProblem(
  path: string,
  lstat: (p: string) => PathElementStat | undefined,
  realpath: (p: string) => string | undefined,
  opts: { uid?: number; argument?: boolean } = {},
): string | undefined {
  const uid = opts.uid ?? 0;
  if (!path.startsWith('/')) return `${path}: not an absolute path`;
  const cut = path.lastIndexOf('/');
  const dir = realpath(path.slice(0, cut) || '/');
  const real = realpath(path);
  // An argument not there yet (an output file): its directory must be safe.
  if (opts.argument && dir !== undefined && real === undefined) return scriptPathProblem(dir, lstat, realpath, opts);
  if (dir === undefined || real === undefined) return `${path}: not found`;
  const named = `${dir === '/' ? '' : dir}/${path.slice(cut + 1)}`;
  for (const candidate of new Set([named, real])) {
    const elements = pathElements(candidate);
    for (const [i, el] of elements.entries()) {
      const st = lstat(el);
      if (!st) return `${el}: not found`;
      const last = i === elements.length - 1;
      if (!last && st.kind !== 'dir') return `${el}: not a directory`;
      if (last && !opts.argument && st.kind !== 'file' && st.kind !== 'symlink') return `${el}: not a regular file`;
      // A device or socket given as an argument (/dev/null): nobody can swap it while its parents are safe.
      if (last && st.kind === 'other') continue;
      if (st.uid !== 0 && st.uid !== uid) return `${el}: owned by uid ${st.uid}, not root${uid !== 0 ? ` nor uid ${uid}` : ''}`;
      const checked = (st.kind === 'dir' && (st.mode & S_ISVTX) === 0) || st.kind === 'file';
      if (checked && st.gid !== 0 && (st.mode & S_IWGRP) !== 0) return `${el}: writable by group ${st.gid}`;
      if (checked && (st.mode & S_IWOTH) !== 0) return `${el}: writable by everyone`;
    }
  }
  return undefined;
}

/** Absolute paths in a command's arguments, also inside one (split at blanks, quotes, '=', ':', ','). */
export function argumentPaths(argv: readonly string[]): string[] {
  return [...new Set(argv.slice(1).flatMap((a) => a.split(/[\s'"=:,;]+/)).filter((t) => t.startsWith('/')))];
}

/** Why running `argv` (as `uid`) would be unsafe: its program or any path among its arguments. */
export function commandProblem(
  argv: readonly string[],
  lstat: (p: string) => PathElementStat | undefined,
  realpath: (p: string) => string | undefined,
  uid = 0,
): string | undefined {
  const exe = scriptPathProblem(argv[0] ?? '', lstat, realpath, { uid });
  if (exe !== undefined) return exe;
  for (const p of argumentPaths(argv)) {
    const why = scriptPathProblem(p, lstat, realpath, { uid, argument: true });
    if (why !== undefined) return `argument ${p}: ${why}`;
  }
  return undefined;
}
