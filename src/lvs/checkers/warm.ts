// The failure path, run once on a throwaway check before any real server can fail.
//
// Why: V8 compiles a function the first time it is called. A real server's failure is the first
// call of some thirty functions (the repeat's end, the check's fall, the service's quorum and
// table, the event, its log line); in the appliance VM's emulated CPU compiling them was most
// of our reaction (npm run bench -- lvs-check: the down line a median 62 ms after the check that
// found the server gone, keepalived's 10 ms; with this run at start, 33 ms, keepalived's 9).
// Running that path here, on a check of its own with a world that answers at once, moves the
// compiling to start-up; the daemon keeps the bytecode (--no-flush-bytecode, src/cli/one-shot.ts
// keepBytecode), so the path stays compiled however long the box runs without a failure.
//
// Nothing leaves the throwaway: its world has no sockets or programs (only the shell's own
// timer), its events and log lines go to `log` only when the caller asks (tests), and it is
// stopped once its failure is through.
import type { CheckerEvent } from './service.ts';
import { startCheckers, type CheckerLogger, type CheckerRuntime } from './run.ts';
import type { ShellWorld } from './shell.ts';
import type { ServiceSpec } from './spec.ts';

const ADDRESS = '192.0.2.1';
const PORT = 9;

const SPEC: ServiceSpec = {
  name: 'warm-up', haSuspend: false, quorum: 1, hysteresis: 0, onFailure: 'remove', omega: false,
  servers: [{
    key: `${ADDRESS}:${PORT}`, address: ADDRESS, port: PORT, weight: 1,
    checks: [{
      id: 'warm-up', address: ADDRESS, port: PORT, probe: { kind: 'tcp' },
      timing: { intervalMs: 1000, connectTimeoutMs: 1000, deadlineMs: 2000, rise: 1, fall: 1, retries: 0, retryDelayMs: 1000, warmupMs: 0, alpha: false },
    }],
  }],
};

/** The throwaway's first check comes at the shell's first timer; this bounds the whole run. */
const BOUND_MS = 5000;

/**
 * Runs a throwaway TCP check through its first connect, the hand-over to a repeat, and the
 * repeat's failure (the server down, the quorum lost, their log lines), on the shell's own
 * timer (its first check is due at once). Resolves to the events it saw (tests check that the
 * path ran) once the failure is through, or after BOUND_MS whatever happened; `log` gets its
 * log lines (default: dropped).
 */
export function warmFailurePath(log: CheckerLogger = () => undefined): Promise<CheckerEvent[]> {
  return new Promise((resolve) => {
    const events: CheckerEvent[] = [];
    let runtime: CheckerRuntime | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      runtime?.stop();
      resolve(events);
    };
    const bound = setTimeout(finish, BOUND_MS);
    const unused = (): Promise<never> => Promise.reject(new Error('warm-up: not used'));
    const world: ShellWorld & { close(): void } = {
      now: () => performance.now(),
      connect: unused, exchange: unused, datagram: unused, ping: unused, program: unused,
      // Answers come later, as the real ones do (the caller has its cancel first).
      connectQuick: (_a, _p, _t, connected) => {
        queueMicrotask(() => connected(undefined));
        return () => undefined;
      },
      repeat: {
        can: () => true,
        start: (_a, _p, firstAt, _i, _t, ended) => {
          queueMicrotask(() => ended(new Error('connection refused'), firstAt, 0));
          return { cancel: () => undefined, stats: () => ({ successes: 0, lastOkAt: undefined }) };
        },
      },
      commandProblem: () => undefined,
      spawn: () => undefined,
      close: () => undefined,
    };
    runtime = startCheckers({ specs: [SPEC] }, log, {
      world, warmup: () => 0,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === 'quorum') queueMicrotask(finish);
      },
    });
  });
}
