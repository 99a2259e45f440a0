// The daemon survives its own bugs as a clean failover, not as a silent master: an uncaught
// exception or unhandled rejection anywhere is logged with its stack, then the daemon makes its
// orderly stop (priority-0 adverts from every MASTER so the peer takes over at once, VIPs removed,
// sync sockets closed with the kernel's conntrack table left as it is) and exits EXIT_CRASH, and
// busybox init respawns it. Without this Node would print the stack to stderr and exit with the
// VIPs still on the box, and the peer would wait out the master-down interval.
import type { Log } from './log.ts';

/** EX_SOFTWARE (sysexits.h): an internal error. Anything non-zero makes init respawn. */
export const EXIT_CRASH = 70;
/** The orderly stop may take this long before the process exits anyway. */
export const CRASH_STOP_TIMEOUT_MS = 5000;
/** After the stop, a loop that does not drain (a handle the fault left open) is cut after this. */
const EXIT_GRACE_MS = 1000;

type Fault = 'uncaught exception' | 'unhandled rejection';

/** The part of `process` the guard uses (unit tests pass a stand-in). */
export interface GuardedProcess {
  on(event: 'uncaughtException' | 'unhandledRejection', fn: (e: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', fn: (e: unknown) => void): unknown;
  exit(code: number): void;
}

export interface CrashGuardOptions {
  stopTimeoutMs?: number;
  exitGraceMs?: number;
}

export interface CrashGuard {
  /** The first fault caught, as logged (undefined while none). */
  readonly fault: string | undefined;
  uninstall(): void;
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  try {
    return `a non-Error value: ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    return `a non-Error value: ${String(e)}`;
  }
}

/**
 * `stop` is the daemon's orderly stop, resolving once done; it must make the daemon's exit status
 * EXIT_CRASH (DaemonHandle.stop(reason, EXIT_CRASH)). Timers are unref'd: they only ever cut a
 * process that would otherwise hang.
 */
export function installCrashGuard(p: GuardedProcess, log: Log, stop: (reason: string) => Promise<void>, opts: CrashGuardOptions = {}): CrashGuard {
  let fault: string | undefined;
  const exitLater = (ms: number, why: string): void => {
    setTimeout(() => {
      log('error', `crash: ${why}; exiting ${EXIT_CRASH}`);
      p.exit(EXIT_CRASH);
    }, ms).unref();
  };
  const on = (kind: Fault) => (e: unknown): void => {
    const text = describe(e);
    if (fault !== undefined) {
      // A second fault while stopping: the stop itself is broken, do not loop on it.
      for (const line of `crash: another ${kind} while stopping: ${text}`.split('\n')) log('error', line);
      p.exit(EXIT_CRASH);
      return;
    }
    fault = `${kind}: ${text.split('\n')[0]}`;
    // One line per stack frame: syslog keeps lines, not multi-line messages.
    for (const line of `crash: ${kind}: ${text}`.split('\n')) log('error', line);
    log('error', 'crash: stopping in order (priority-0 adverts, VIPs removed, sync state kept), then exiting for init to respawn');
    const stopTimeout = opts.stopTimeoutMs ?? CRASH_STOP_TIMEOUT_MS;
    exitLater(stopTimeout, `the orderly stop did not finish within ${stopTimeout} ms`);
    stop(`${kind}`).then(
      () => exitLater(opts.exitGraceMs ?? EXIT_GRACE_MS, 'stopped, but the event loop did not drain'),
      (err: unknown) => {
        for (const line of `crash: the orderly stop failed: ${describe(err)}`.split('\n')) log('error', line);
        p.exit(EXIT_CRASH);
      },
    );
  };
  const onException = on('uncaught exception');
  const onRejection = on('unhandled rejection');
  p.on('uncaughtException', onException);
  p.on('unhandledRejection', onRejection);
  return {
    get fault() { return fault; },
    uninstall() {
      p.off('uncaughtException', onException);
      p.off('unhandledRejection', onRejection);
    },
  };
}
