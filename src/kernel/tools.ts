// Running the few external programs stockade needs for kernel work that Node cannot do itself:
// mount(2) and init_module(2) have no Node binding (busybox mount and modprobe do them), and the
// firewall is loaded through iptables-restore (DESIGN.md). Each run has a deadline, so a hung
// tool cannot hang boot, and reports its output for the caller to word the error.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where tools live on the appliance (busybox applet links, Debian's iptables) and on a host. */
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface ToolResult {
  /** Exit status; 128 + signal number when killed; -1 when it could not be started. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the tool ran past its deadline and was killed. */
  readonly timedOut?: boolean;
  /** Why it could not be started (ENOENT, EACCES). */
  readonly startError?: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The argv that runs `name`: the program from PATH or the system directories, else the busybox
 * applet of that name (the image has busybox; its applet links may not include every tool).
 */
export function toolArgv(name: string, pathEnv: string | undefined = process.env.PATH): string[] | undefined {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (executable(candidate)) return [candidate];
  }
  for (const dir of dirs) {
    const busybox = join(dir, 'busybox');
    if (executable(busybox)) return [busybox, name];
  }
  return undefined;
}

export interface RunOptions {
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Most characters of stdout kept (default 64 KiB); iptables-save of a large ruleset needs more. */
  readonly maxOutput?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const OUTPUT_LIMIT = 64 * 1024;

/** Runs a tool by name (see toolArgv) and collects its output. Never rejects. */
export function runTool(name: string, args: readonly string[], opts: RunOptions = {}): Promise<ToolResult> {
  const argv = toolArgv(name);
  if (!argv) return Promise.resolve({ code: -1, stdout: '', stderr: '', startError: `${name}: not found` });
  return run([...argv, ...args], opts);
}

function run(argv: string[], opts: RunOptions): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // A fixed, minimal environment: the tool's behaviour must not depend on who started boot.
      env: { PATH: SYSTEM_DIRS.join(':'), LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let startError: string | undefined;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < (opts.maxOutput ?? OUTPUT_LIMIT)) stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += d;
    });
    if (opts.input !== undefined) {
      // A tool that exits without reading all of its input must not crash us with EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (err: NodeJS.ErrnoException) => {
      startError = `${argv[0]}: ${err.code ?? err.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : -1);
      resolve({
        code: startError ? -1 : status,
        stdout,
        stderr,
        ...(timedOut ? { timedOut } : {}),
        ...(startError ? { startError } : {}),
      });
    });
  });
}

/** The tool's complaint in one line: its first non-empty stderr line (or stdout), without the "name: " prefix. */
export function toolMessage(result: ToolResult, name: string): string {
  if (result.startError) return result.startError;
  if (result.timedOut) return `${name} did not finish in time`;
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines[0] ?? `${name} exited with status ${result.code}`;
  return line.replace(new RegExp(`^${name}: `), '');
}

/** What became of a program started with startDetached. */
export interface DetachedExit {
  /** Why it could not be started or run (spawn's error). */
  readonly error?: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Starts an admin's program (a VRRP notify script) in its own process group with stockade's
 * environment and leaves it: nothing waits for it. `onError` and `onExit` report what became of it.
 */
export function startDetached(argv: readonly string[], onError: (message: string) => void, onExit: (code: number | null, signal: NodeJS.Signals | null) => void): void {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return;
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', (err) => onError(err.message));
  child.on('exit', onExit);
  child.unref();
}

/**
 * Runs an admin's check program in its own process group; resolves true on exit 0. At `timeoutMs`
 * the whole group is killed, as keepalived does, and the check has failed.
 */
export function runCheckProgram(argv: readonly string[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return resolve(false);
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('error', () => { clearTimeout(timer); resolve(false); });
    child.on('exit', (code) => { clearTimeout(timer); resolve(code === 0); });
  });
}
