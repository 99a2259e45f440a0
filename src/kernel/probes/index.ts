// The kernel side of the LVS health checks: TCP/TLS streams, UDP datagrams, ICMP echo, programs.
// The checker shell (src/lvs/checkers/shell.ts) drives these; the verdicts are pure code there.
export { connectOnly, exchange, probeError } from './stream.ts';
export type { StreamTarget } from './stream.ts';
export { ConnectProber } from './tcp-connect.ts';
export { datagramExchange } from './datagram.ts';
export { Pinger, echoRequest } from './ping.ts';
export { runProgram, spawnDetached } from './program.ts';
export type { ProgramExit } from './program.ts';
