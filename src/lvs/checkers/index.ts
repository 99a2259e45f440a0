// LVS health checkers: pure state machines with an injected clock, driven by a thin I/O shell.
//
//   spec.ts         what to check: services, real servers, checks, timings (ms)
//   check.ts        one check's state machine: attempts, retries, rise/fall, hard deadline, alpha
//   timer-heap.ts   one heap of absolute deadlines for every check (no timer per check, no drift)
//   service.ts      a service's live servers, dynamic weights, quorum + hysteresis, sorry server,
//                   inhibit or remove -> the destinations IPVS should hold; the events
//   runner.ts       all of the above for every service; ha_suspend; actions out
//   http.ts dns.ts udp.ts misc.ts   requests and verdicts on the bytes (pure)
//   probe.ts        one probe: spec -> I/O primitives (ProbeIo) -> verdict
//   shell.ts        the runner on real time: one timer, probes with abort, script security, event log
//   kernel-io.ts    the world on the box: src/kernel/probes, the clock, script security
//   from-config.ts  the config's lvs section -> specs
//   run.ts          startCheckers(): all of the above on the box, with the events logged
//   warm.ts         a throwaway check's failure run once at start: the path compiled before it counts
//
// For the LVS manager and the daemon: startCheckers(config.lvs, log) (run.ts); on each 'event'
// read shell.runner.table(service) for the destinations to program (failed servers removed or at
// weight 0, the sorry server alone while the quorum is lost); feed shell.vipHeld(vip, held) from
// the VRRP side for ha_suspend services; shell.status() and shell.events for `ctl lvs`.
export type { CheckSpec, CheckTiming, DnsType, HttpProbe, ProbeSpec, ServerSpec, ServiceSpec, UdpProbe, MiscProbe, DnsProbe } from './spec.ts';
export { Check } from './check.ts';
export type { CheckAction, CheckStatus, ProbeOutcome } from './check.ts';
export { TimerHeap } from './timer-heap.ts';
export { ServiceState } from './service.ts';
export type { CheckerEvent, Destination, ServerState } from './service.ts';
export { CheckerRunner } from './runner.ts';
export type { RunnerAction, RunnerOptions, ServiceStatus } from './runner.ts';
export { HTTP_MAX_RESPONSE, httpComplete, httpRequest, httpVerdict } from './http.ts';
export { DNS_TYPES, dnsQuery, dnsVerdict, encodeName } from './dns.ts';
export { parseReplyPattern, udpVerdict } from './udp.ts';
export { miscVerdict } from './misc.ts';
export { runProbe } from './probe.ts';
export type { ProbeContext, ProbeIo, ProgramExit } from './probe.ts';
export { EVENT_LOG_SIZE, EventLog } from './events.ts';
export { CheckerShell } from './shell.ts';
export type { CheckerCounters, CheckerShellEvents, ShellWorld } from './shell.ts';
export { kernelWorld } from './kernel-io.ts';
export { checkPort, probeOf, servicesFromConfig, statusRanges, timingOf } from './from-config.ts';
export { startCheckers } from './run.ts';
export { warmFailurePath } from './warm.ts';
export type { CheckerLogger, CheckerRuntime, StartOptions } from './run.ts';
