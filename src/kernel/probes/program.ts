// Programs for the LVS MISC checks and quorum commands. A check program runs in its own process
// group with a timeout; past it the group gets SIGTERM, and SIGKILL 2 s later (keepalived
// check_misc.c), so a hung script and its children never pile up.
import { spawn } from 'node:child_process';

export interface ProgramExit {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

const KILL_AFTER_MS = 2000;

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try { process.kill(-pid, sig); } catch { /* gone */ }
}

export function runProgram(argv: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<ProgramExit> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return reject(new Error('empty command'));
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      killGroup(child.pid, 'SIGTERM');
      killer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_AFTER_MS);
      killer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = (): void => stop();
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`${cmd}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // The group may outlive its leader (a backgrounded child): finish it too.
      if (timedOut || signal.aborted) killGroup(child.pid, 'SIGKILL');
      else if (killer) clearTimeout(killer);
      resolve({ code, signal: sig, timedOut });
    });
  });
}

/** Starts a command and forgets it (quorum up/down); errors go to `onError`. */
export function spawnDetached(argv: readonly string[], onError: (message: string) => void): void {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return;
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', (e) => onError(`${cmd}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
  child.on('exit', (code, sig) => {
    if (code !== 0) onError(`${argv.join(' ')}: exit ${code ?? sig}`);
  });
  child.unref();
}
