// The failure path, run once on a throwaway check before any real server can fail.
//
// Why: V8 compiles a function the first time it is called, and an inline cache learns the shape
// of the objects it sees the first times it runs. A real server's failure is the first call of
// some thirty functions (the addon's failure record, the check's fall, the service's quorum and
// table, the event, its log line); in the appliance VM's emulated CPU that first time was most of
// our reaction (npm run bench -- lvs-check: the down line a median 62 ms after the check that
// found the server gone, keepalived's 10 ms). A throwaway that ran the shell's part with specs
// and a world of its own took it to 33 ms; instrumented, the first real failure still took 20-33
// ms from the record's arrival to the line, a second one 4-7 ms: the throwaway had not run the
// prober's part, and its specs were not shaped like the config's. So the throwaway now
//   - is a copy of the config's first TCP-checked service (servicesFromConfig builds its spec,
//     as it builds the real ones) with up to SERVERS of its real servers, each at an address of
//     its own (WARM_ADDRESSES), failing at once (fall 1): the service's and the timer heap's loops
//     run over more than one, the first failure leaves the quorum, the last loses it;
//   - ends its repeat in the addon, through the box's own kind of prober (its own instance): a
//     connect to a multicast address, which Linux refuses inside connect() (network unreachable),
//     before any packet.
// The daemon keeps the bytecode (--no-flush-bytecode, src/cli/v8-flags.ts keepBytecode), so the
// path stays compiled however long the box runs without a failure.
//
// Nothing leaves the throwaway: no packet (above), no program (its world runs none), its events
// and log lines go to `log` only when the caller asks (tests), and it is stopped once its
// failure is through.
import type { Lvs } from '../../config/index.ts';
import { ConnectProber } from '../../kernel/probes/index.ts';
import type { CheckerEvent } from './service.ts';
import { startCheckers, type CheckerLogger, type CheckerRuntime } from './run.ts';
import { TIMER_GRAIN_MS, type ShellWorld } from './shell.ts';
import { proberRepeat } from './kernel-io.ts';

/** Multicast: a TCP connect to one fails inside connect(), with no packet sent. */
export const WARM_ADDRESSES = ['224.0.0.1', '224.0.0.2', '224.0.0.3'] as const;
const SERVERS = WARM_ADDRESSES.length;

/** The throwaway's first check comes at the shell's first timer; this bounds the whole run. */
const BOUND_MS = 5000;

/** The throwaway service: the config's first TCP-checked one, its servers at WARM_ADDRESSES, each down at its first failure. */
function throwaway(lvs: Lvs): Lvs | undefined {
  const vs = lvs.virtual_services.find((v) => v.health_check.type === 'tcp' && v.real_servers.some((rs) => rs.enabled));
  if (vs === undefined) return undefined;
  const servers = vs.real_servers.filter((r) => r.enabled).slice(0, SERVERS);
  const hc = vs.health_check;
  return {
    ...lvs,
    virtual_services: [{
      ...vs,
      name: 'warm-up',
      // Checked here whatever VRRP says; down at the first failure; the repeat's first connect a second after the first check.
      health_check: { ...hc, ha_suspend: false, rise: 1, fall: 1, retries: 0, interval_s: 1, ...(hc.address !== undefined ? { address: WARM_ADDRESSES[0] } : {}) },
      real_servers: servers.map((rs, i) => ({ ...rs, address: WARM_ADDRESSES[i]! })),
    }],
  };
}

/**
 * Runs throwaway TCP checks, shaped as `lvs`'s first TCP-checked service, through their first
 * connect (answered at once, as a live server's), the hand-over to a repeat, and the repeat's
 * failure in the addon (each server down, the quorum lost; their log lines). Resolves to the
 * events it saw (tests check that the path ran) once the failure is through, or after BOUND_MS
 * whatever happened; `log` gets its log lines (default: dropped). Undefined, and nothing run,
 * when `lvs` has no TCP check.
 */
export function warmFailurePath(lvs: Lvs, log: CheckerLogger = () => undefined): Promise<CheckerEvent[]> | undefined {
  const copy = throwaway(lvs);
  if (copy === undefined) return undefined;
  let up = copy.virtual_services[0]!.real_servers.length;
  return new Promise((resolve) => {
    const events: CheckerEvent[] = [];
    let runtime: CheckerRuntime | undefined;
    let done = false;
    const prober = new ConnectProber(undefined, { batchMs: TIMER_GRAIN_MS });
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
      // The first connect succeeds, later, as a real one does (the caller has its cancel first).
      connectQuick: (_a, _p, _t, connected) => {
        queueMicrotask(() => connected(undefined));
        return () => undefined;
      },
      repeat: proberRepeat(prober),
      commandProblem: () => undefined,
      spawn: () => undefined,
      close: () => prober.close(),
    };
    runtime = startCheckers(copy, log, {
      world, warmup: () => 0,
      onEvent: (e) => {
        events.push(e);
        // The quorum's event, if any, comes in the same batch as the last server's.
        if (e.kind === 'server' && !e.up && --up === 0) queueMicrotask(finish);
      },
    });
  });
}
