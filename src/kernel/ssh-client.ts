// Debian's dropbear client (dbclient, in dropbear-bin beside the server) running one stockade
// command on the HA peer, for `stockade upgrade pair`. The peer's host key is the one from the
// config, never learnt: dbclient reads known hosts from $HOME/.ssh/known_hosts, so each run gets
// a HOME of its own under /run holding only that key. A different key is dbclient's "Host key
// mismatch"; a key it cannot match would make it ask, so it runs in its own session (setsid: no
// /dev/tty to ask on) and refuses. Identity: a dropbear key file (-i); no agent, no forwarding.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { toolArgv, type ToolResult } from './tools.ts';

export interface SshTarget {
  readonly address: string;
  readonly port: number;
  /** The peer's host key, an OpenSSH public key line ("ssh-ed25519 AAAA..."). */
  readonly hostKey: string;
  /** This box's client key, dropbear's format (dropbearkey). */
  readonly keyFile: string;
  /** Where the run's HOME (its known_hosts) is made. */
  readonly homeDir: string;
}

export interface SshRun {
  /** The remote command's stdin (end it); absent when started without `stdin: true`. */
  readonly stdin?: Writable;
  /** Resolves when dbclient ends: the remote command's status, or 255 for SSH's own failures. */
  readonly done: Promise<ToolResult>;
  /** Stops dbclient (the remote command sees its stdin cut). */
  stop(): void;
}

const OUTPUT_LIMIT = 256 * 1024;

function knownHosts(t: SshTarget): string {
  const [type, blob] = t.hostKey.trim().split(/\s+/);
  // dbclient matches the host as it was given; both spellings, for any version's habit.
  return `${t.address} ${type} ${blob}\n[${t.address}]:${t.port} ${type} ${blob}\n`;
}

/** Starts `dbclient ... root@address words...`; with `stdin` its stdin is a pipe to write to, else /dev/null. */
export function startSsh(t: SshTarget, words: readonly string[], opts: { stdin?: boolean; timeoutMs: number }): SshRun {
  const argv = toolArgv('dbclient');
  if (!argv) return { done: Promise.resolve({ code: -1, stdout: '', stderr: '', startError: 'dbclient: not found (Debian\'s dropbear-bin)' }), stop: () => undefined };
  mkdirSync(join(t.homeDir, '.ssh'), { recursive: true, mode: 0o700 });
  chmodSync(t.homeDir, 0o700);
  writeFileSync(join(t.homeDir, '.ssh', 'known_hosts'), knownHosts(t), { mode: 0o600 });
  // -T: no pty (the bytes pass as they are); -K: keepalives so a peer that vanished is noticed.
  const args = ['-T', '-K', '15', '-i', t.keyFile, '-p', String(t.port), `root@${t.address}`, ...words];
  const child = spawn(argv[0]!, [...argv.slice(1), ...args], {
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', HOME: t.homeDir },
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let startError: string | undefined;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < OUTPUT_LIMIT) stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < OUTPUT_LIMIT) stderr += d; });
  child.stdin?.on('error', () => undefined);
  const kill = (): void => {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; kill(); }, opts.timeoutMs);
  const done = new Promise<ToolResult>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => { startError = `dbclient: ${err.code ?? err.message}`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: startError ? -1 : code ?? (signal ? 128 + 9 : -1),
        stdout,
        stderr,
        ...(timedOut ? { timedOut } : {}),
        ...(startError ? { startError } : {}),
      });
    });
  });
  return { ...(child.stdin ? { stdin: child.stdin } : {}), done, stop: kill };
}

/** One command with no input: its status and output. */
export function runSsh(t: SshTarget, words: readonly string[], timeoutMs: number): Promise<ToolResult> {
  return startSsh(t, words, { timeoutMs }).done;
}
