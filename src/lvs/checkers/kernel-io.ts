// The checkers' world on the box: probes from src/kernel/probes, the monotonic clock, and script
// security from src/vrrp (keepalived's enable_script_security, always on) for MISC programs and
// quorum commands.
import { performance } from 'node:perf_hooks';
import { ConnectProber, connectOnly, datagramExchange, exchange, Pinger, runProgram, spawnDetached } from '../../kernel/probes/index.ts';
import { lstatOf, realpathOf } from '../../kernel/index.ts';
import { commandProblem } from '../../vrrp/index.ts';
import { TIMER_GRAIN_MS } from './shell.ts';
import type { ShellWorld } from './shell.ts';

/** Steady TCP checks repeating in the addon through `prober`, on its grid (src/native/repeat.c). */
export function proberRepeat(prober: ConnectProber): NonNullable<ShellWorld['repeat']> {
  return { can: (address) => ConnectProber.canRepeat(address), start: (address, port, firstAt, intervalMs, timeoutMs, done) => prober.repeat(address, port, firstAt, intervalMs, timeoutMs, done) };
}

export function kernelWorld(log: (level: 'warn', message: string) => void): ShellWorld & { close(): void } {
  const pinger = new Pinger();
  const prober = new ConnectProber(undefined, { batchMs: TIMER_GRAIN_MS });
  const uid = process.getuid?.() ?? 0;
  return {
    now: () => performance.now(),
    // Plain TCP in bulk through one epoll set, its results read on the checks' timer grid; TLS through node:tls.
    connect: (address, port, tls, timeoutMs, signal) => (tls ? connectOnly({ address, port, tls }, timeoutMs, signal) : prober.connect(address, port, timeoutMs, signal)),
    connectQuick: (address, port, timeoutMs, done) => prober.start(address, port, timeoutMs, done),
    repeat: proberRepeat(prober),
    exchange: (address, port, tls, request, maxBytes, timeoutMs, signal, complete) => exchange({ address, port, ...(tls ? { tls } : {}) }, request, maxBytes, timeoutMs, signal, complete),
    datagram: (address, port, payload, waitMs, signal, accept) => datagramExchange(address, port, payload, waitMs, signal, accept),
    ping: (address, timeoutMs, signal) => pinger.ping(address, timeoutMs, signal),
    program: (argv, timeoutMs, signal) => runProgram(argv, timeoutMs, signal),
    commandProblem: (argv) => commandProblem(argv, lstatOf, realpathOf, uid),
    spawn: (argv) => spawnDetached(argv, (m) => log('warn', `lvs checks: ${m}`)),
    close: () => {
      pinger.close();
      prober.close();
    },
  };
}
