// Conntrack sync's face.
export { SyncDriver } from './driver.ts';
export type { SyncDriverOptions } from './driver.ts';
export type { SyncEntry } from './wire/codec.ts';
export { IPPROTO_DCCP, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE } from './wire/constants.ts';
export { IPPROTO_GRE, PROTOCOL_NUMBERS, protocolName } from './protocols.ts';
