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
// check_security()): a command run as root must not be replaceable by anyone else. Checked: the
// path with its directory resolved (/bin/sh -> /usr/bin/sh on merged-/usr systems), and the file
// it finally resolves to. Every element from "/" down: owned by root; a directory without the
// sticky bit, or the file itself, not writable by everyone nor by a group other than root's.
// Every element but the last must be a directory; the last a regular file or a link.

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
export function scriptPathProblem(path: string, lstat: (p: string) => PathElementStat | undefined, realpath: (p: string) => string | undefined): string | undefined {
  if (!path.startsWith('/')) return `${path}: not an absolute path`;
  const cut = path.lastIndexOf('/');
  const dir = realpath(path.slice(0, cut) || '/');
  const real = realpath(path);
  if (dir === undefined || real === undefined) return `${path}: not found`;
  const named = `${dir === '/' ? '' : dir}/${path.slice(cut + 1)}`;
  for (const candidate of new Set([named, real])) {
    const elements = pathElements(candidate);
    for (const [i, el] of elements.entries()) {
      const st = lstat(el);
      if (!st) return `${el}: not found`;
      const last = i === elements.length - 1;
      if (!last && st.kind !== 'dir') return `${el}: not a directory`;
      if (last && st.kind !== 'file' && st.kind !== 'symlink') return `${el}: not a regular file`;
      if (st.uid !== 0) return `${el}: owned by uid ${st.uid}, not root`;
      const checked = (st.kind === 'dir' && (st.mode & S_ISVTX) === 0) || st.kind === 'file';
      if (checked && st.gid !== 0 && (st.mode & S_IWGRP) !== 0) return `${el}: writable by group ${st.gid}`;
      if (checked && (st.mode & S_IWOTH) !== 0) return `${el}: writable by everyone`;
    }
  }
  return undefined;
}
