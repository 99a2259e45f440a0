// Conntrack sync for Stockade, shaped as src/vrrp is: the pure core in this folder (no I/O: fed
// kernel events, datagrams and time; actions and datagrams out), the I/O shell in shell/, the
// config translation in from-config.ts. This index is the part's one face.
//
//   wire/           conntrackd-compatible message codec and its numbers
//   protocols.ts    IP protocol names as the config and listings spell them
//   convert.ts      kernel entries <-> sync entries, cache keys
//   filter.ts       what is not replicated (own addresses, protocols, TCP states)
//   cache.ts, compact-cache.ts   internal and external caches
//   ftfw.ts, notrack.ts, alarm.ts   the three sync modes (conntrackd's FTFW, NOTRACK, ALARM)
//   auth.ts         Stockade's optional HMAC on datagrams, with a replay window
//   datagrams.ts    packing messages into datagrams
//   node.ts         one sync node: events -> filter -> cache -> mode -> datagrams, and back
//   from-config.ts  the validated config's `sync` -> the driver's options
//   shell/driver.ts the loop on a real kernel: ctnetlink events, dumps and batched commits
//   shell/udp.ts    the UDP/multicast transport on the sync interface
export { SyncDriver } from './shell/driver.ts';
export type { SyncDriverOptions } from './shell/driver.ts';
export { ownAddresses, syncDriverOptions, syncLocalAddress } from './from-config.ts';
export type { SyncEntry } from './wire/codec.ts';
export { IPPROTO_DCCP, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE } from './wire/constants.ts';
export { IPPROTO_GRE, PROTOCOL_NUMBERS, protocolName } from './protocols.ts';
