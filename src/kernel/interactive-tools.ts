// Programs an operator runs from the console: ping and traceroute with their lines shown as
// they come and a stop button (an AbortSignal), and a shell fed line by line. Found like every
// other tool (tools.ts: PATH, the system directories, else busybox's applet); each run has a
// deadline, and a stopped or late one gets SIGINT, then SIGKILL a second later.
import { spawn } from 'node:child_process';
import { toolArgv } from './tools.ts';

const KILL_AFTER_MS = 1000;
/** Most characters of a line kept (a line longer than this is cut). */
const LINE_MAX = 512;

export interface StreamedRun {
  /** Exit status; 128 + signal when killed; -1 when it could not start. */
  readonly code: number;
  readonly stopped: boolean;
  readonly timedOut: boolean;
  readonly startError?: string;
}

/** Runs `name args`, each stdout/stderr line to `onLine`, until it ends, `signal` fires or `timeoutMs` passes. */
export function streamTool(name: string, args: readonly string[], opts: { onLine: (line: string) => void; signal?: AbortSignal; timeoutMs: number }): Promise<StreamedRun> {
  const argv = toolArgv(name);
  if (!argv) return Promise.resolve({ code: -1, stopped: false, timedOut: false, startError: `${name}: not found` });
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, [...argv.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
    let stopped = false;
    let timedOut = false;
    let startError: string | undefined;
    const split = (): ((chunk: string) => void) => {
      let rest = '';
      return (chunk) => {
        rest += chunk;
        const lines = rest.split('\n');
        rest = (lines.pop() ?? '').slice(0, LINE_MAX);
        for (const l of lines) opts.onLine(l.slice(0, LINE_MAX));
      };
    };
    child.stdout!.setEncoding('utf8').on('data', split());
    child.stderr!.setEncoding('utf8').on('data', split());
    let killer: ReturnType<typeof setTimeout> | undefined;
    const stop = (): void => {
      child.kill('SIGINT');
      killer ??= setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    const onAbort = (): void => { stopped = true; stop(); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(() => { timedOut = true; stop(); }, opts.timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => { startError = `${argv[0]}: ${e.code ?? e.message}`; });
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (killer) clearTimeout(killer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code: startError ? -1 : code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 2) : -1), stopped, timedOut, ...(startError ? { startError } : {}) });
    });
  });
}

export interface LineShell {
  send(line: string): void;
  onOutput(fn: (text: string) => void): void;
  readonly exited: Promise<number>;
  stop(): void;
}

/** /bin/sh reading commands from a pipe, in its own process group (stop() ends all of it). */
export function startLineShell(): LineShell {
  const child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const listeners: Array<(t: string) => void> = [];
  const out = (t: string): void => { for (const l of listeners) l(t); };
  child.stdout!.setEncoding('utf8').on('data', out);
  child.stderr!.setEncoding('utf8').on('data', out);
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? -1));
  });
  return {
    send: (line) => void child.stdin!.write(line),
    onOutput: (fn) => void listeners.push(fn),
    exited,
    stop: () => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}
