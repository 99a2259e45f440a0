// VRRP for Stockade: the pure core (no I/O in these files) and, in shell/, the I/O shell that
// follows the contract below (shell.ts; kernel-io.ts: sockets, VIPs, gARP, links, commands;
// run.ts: config -> running instances; src/daemon/ runs it). This index is the part's one face:
// the core, and of the shell what the daemon and the views use (startVrrp, the shell's verbs and
// status types).
//
//   constants.ts    wire numbers (protocol 112, 224.0.0.18, TTL 255, limits, keepalived defaults)
//   ipv4.ts         addresses as uint32 (wire order and the higher-address tie-break)
//   checksum.ts     Internet checksum; v3's two conventions (pseudo-header | message)
//   codec.ts        encode/decode of v2 and v3 adverts (IPv4)
//   auth.ts         HMAC-SHA256 trailer with a replay window (Stockade's own format; see there why)
//   replay.ts       counters against replay (wall-clock counters, windows, first-counter skew)
//   receive.ts      receive validation, every drop named (DROP_REASONS)
//   timers.ts       skew and master-down formulas
//   instance.ts     one instance's state machine (clock injected: deadline()/timer())
//   tracking.ts     keepalived-style tracking (weights, rise/fall) -> FAULT + effective priority
//   restart-fields.ts  which instance fields restart it on a config apply (the one table)
//   engine.ts       all instances: packets in, validation + drop counters, sync groups, tracking,
//                   heartbeats; actions out; the datagrams to send
//   from-config.ts  the validated config's vrrp section -> engine configuration
//   notify.ts       keepalived-compatible notify command lines
//   garp.ts         gratuitous ARP frames (as keepalived builds them)
//   heartbeat.ts    sync-link heartbeat datagrams for accelerated failover (Stockade peers only)
//   heartbeat-link.ts  both ends of the heartbeat path: signing, checks, replay, trust, drop counters
//
// Contract for the shell (shell/, and src/daemon which runs it):
//   - one monotonic clock (performance.now()) for every `now`; Date.now() only as `wallClockMs`
//     for authentication counters;
//   - one timer, re-armed to engine.deadline() after every call; on wake-up, first read every
//     queued packet (receive), then call timer(now): a late process must not take over because it
//     has not read adverts that did arrive (keepalived's "thread timer expired" false failovers);
//   - feed link states (link()) before start(): interfaces never reported count as up;
//   - run actions in order; `master-hooks` is awaited before the rest of that list (conntrack
//     commit first, then the advert, VIPs, gARP); `send-advert` -> engine.advertPackets();
//   - heartbeats on the sync link carry the names of the instances the sender is MASTER of;
//     engine.heartbeatOut() makes them, engine.heartbeatIn() takes what arrives (bytes, source).
export * from './constants.ts';
export { AdvertSigner, AdvertVerifier } from './auth.ts';
export type { AuthKeys, AuthFailure } from './auth.ts';
export { vrrpChecksum, internetChecksum } from './checksum.ts';
export type { ChecksumConvention } from './checksum.ts';
export { decodeAdvert, encodeAdvert, simplePasswordBytes } from './codec.ts';
export type { Advert, AdvertFields, VrrpVersion } from './codec.ts';
export { VrrpEngine } from './engine.ts';
export { VRRP_RESTART_FIELDS, VRRP_RESTART_MEANS, needsRestart } from './restart-fields.ts';
export type { EngineConfig, EngineInstanceConfig, EngineStatus, OutgoingAdvert, SyncGroupConfig, TaggedAction } from './engine.ts';
export { planFromConfig } from './from-config.ts';
export type { AcceleratedSettings, RuntimeFacts, VrrpPlan } from './from-config.ts';
export { VrrpInstance } from './instance.ts';
export type { Action, InstanceOptions, InstanceStatus, TransitionReason, VrrpState } from './instance.ts';
export { garpFrame, parseMac } from './garp.ts';
export { decodeHeartbeat, encodeHeartbeat } from './heartbeat.ts';
export type { Heartbeat, HeartbeatKey } from './heartbeat.ts';
export { HEARTBEAT_DROP_REASONS, HeartbeatLink } from './heartbeat-link.ts';
export type { HeartbeatDrop, HeartbeatLinkOptions, HeartbeatLinkStatus } from './heartbeat-link.ts';
export { formatIpv4, parseIpv4 } from './ipv4.ts';
export { commandProblem, notifyArgv, notifyState } from './notify.ts';
export type { PathElementStat } from './notify.ts';
export { DROP_REASONS } from './receive.ts';
export type { DropCounters, DropReason, ReceivedPacket } from './receive.ts';
export { masterDownMs, skewMs } from './timers.ts';
export type { LagReport } from './shell/lag.ts';
export { startVrrp } from './shell/run.ts';
export type { VrrpRuntime } from './shell/run.ts';
export type { ShellStatus, VrrpShell } from './shell/shell.ts';
