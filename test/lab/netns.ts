// Namespace bookkeeping for the lab: names, `ip` calls, and the process-wide registry that tears
// down on every exit path (normal destroy, 'exit', SIGINT/SIGTERM/SIGHUP) plus the sweep of
// namespaces left by runs that died harder than that (SIGKILL, power loss).
//
// Only namespaces this process created are ever deleted by the exit paths; the sweep deletes only
// names of our shape whose embedded PID is dead. Processes are killed by PID (or by the process
// group of a child we spawned detached, while that child is unreaped so the group id is ours).

import { execFile, execFileSync } from 'node:child_process';
import { constants } from 'node:os';

export const NS_PREFIX = 'stk';
const NS_RE = /^stk([1-9][0-9]*)-([0-9]+)-([A-Za-z0-9][A-Za-z0-9_-]*)$/;
const IP_TIMEOUT_MS = 10_000;

export function nsNameFor(pid: number, lab: number, host: string): string {
  return `${NS_PREFIX}${pid}-${lab}-${host}`;
}

export function parseNsName(name: string): { pid: number; lab: number; host: string } | undefined {
  const m = NS_RE.exec(name);
  if (!m) return undefined;
  return { pid: Number(m[1]), lab: Number(m[2]), host: m[3]! };
}

/** Runs `ip ARGS`; resolves with stdout, rejects with the command and ip's stderr. */
export function ip(args: string[], timeoutMs = IP_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const why = String(stderr).trim() || err.message;
        reject(new Error(`ip ${args.join(' ')}: ${why}`));
      } else {
        resolve(String(stdout));
      }
    });
  });
}

/** Names from `ip netns list` (lines look like "name (id: 3)" or "name"). */
export async function listNamespaces(): Promise<string[]> {
  return parseNetnsList(await ip(['netns', 'list']));
}

export function parseNetnsList(text: string): string[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but is not ours to signal; still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes namespaces left by earlier runs that died without cleaning up: those named like ours
 * whose embedded PID is no longer alive. Returns the names it deleted. Processes still running in
 * such a namespace are left alone (we cannot prove they are ours); the name is freed regardless.
 */
export async function sweepStale(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNamespaces()) {
    const parsed = parseNsName(name);
    if (!parsed || parsed.pid === process.pid || pidAlive(parsed.pid)) continue;
    try {
      await ip(['netns', 'del', name]);
      removed.push(name);
    } catch {
      // Another run's sweep may have deleted it first.
    }
  }
  return removed;
}

/** PIDs of processes whose network namespace is `ns` (never this process). */
export async function pidsIn(ns: string): Promise<number[]> {
  return parsePids(await ip(['netns', 'pids', ns]));
}

function parsePids(text: string): number[] {
  return text.split('\n').map((l) => Number(l.trim())).filter((p) => Number.isInteger(p) && p > 0 && p !== process.pid);
}

export function killQuietly(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

// ---- process-wide registry, for the exit paths that cannot await ----

const namespaces = new Set<string>();
/** Process-group ids of detached children not yet reaped (so the id still names our group). */
const groups = new Set<number>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const signalHandlers = new Map<NodeJS.Signals, () => void>();
let installed = false;

export function trackNamespace(ns: string): void {
  namespaces.add(ns);
  install();
}

export function untrackNamespace(ns: string): void {
  namespaces.delete(ns);
  maybeUninstall();
}

export function trackGroup(pid: number): void {
  groups.add(pid);
  install();
}

export function untrackGroup(pid: number): void {
  groups.delete(pid);
  maybeUninstall();
}

/** What the exit paths would clean now; for tests. */
export function tracked(): { namespaces: string[]; groups: number[] } {
  return { namespaces: [...namespaces], groups: [...groups] };
}

/** Synchronous teardown of everything this process created. Safe to call more than once. */
export function cleanupSync(): void {
  for (const pgid of groups) killQuietly(-pgid, 'SIGKILL');
  groups.clear();
  for (const ns of namespaces) {
    try {
      const out = execFileSync('ip', ['netns', 'pids', ns], { stdio: ['ignore', 'pipe', 'ignore'], timeout: IP_TIMEOUT_MS });
      for (const pid of parsePids(String(out))) killQuietly(pid, 'SIGKILL');
    } catch {
      // Namespace already gone.
    }
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: IP_TIMEOUT_MS });
    } catch {
      // Already gone.
    }
  }
  namespaces.clear();
}

function onExit(): void {
  // A lab still here at exit is a test that forgot destroy() (or withLab); say so, then clean.
  if (namespaces.size > 0) process.stderr.write(`lab: deleting ${namespaces.size} namespace(s) not destroyed before exit: ${[...namespaces].join(', ')}\n`);
  cleanupSync();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupSync();
  uninstall();
  // Another listener owns the process's fate; otherwise die the way this signal normally kills.
  if (process.listenerCount(signal) > 0) return;
  process.kill(process.pid, signal);
  // Should the re-raised signal not end us (it is blocked, say), exit with the shell's convention.
  setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1000);
}

// Handlers exist only while there is something to clean, so a process without labs keeps
// Node's default signal behaviour.
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) {
    const h = (): void => onSignal(s);
    signalHandlers.set(s, h);
    process.on(s, h);
  }
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
  for (const [s, h] of signalHandlers) process.removeListener(s, h);
  signalHandlers.clear();
}

function maybeUninstall(): void {
  if (namespaces.size === 0 && groups.size === 0) uninstall();
}
